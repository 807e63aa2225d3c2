// Replaced by the RSA and selectivity sources.
namespace repscope::stats_detail { int placeholder = 0; }

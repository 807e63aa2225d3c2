// Replaced by the name-map sources.
namespace repscope::weights_detail {
int placeholder = 0;
}

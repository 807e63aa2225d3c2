// A self-contained HTML report: one file with inline CSS and inline SVG, nothing loaded from the
// network or from other files (it can be mailed or archived as is). No scripts.
//
//   HtmlReport r("repscope report: resnet50");
//   r.section("Category selectivity");
//   r.figure(render_line_plot(plot), "Proportion of selective units per layer.");
//   r.table({"layer", "proportion"}, rows);
//   r.write("out/report.html");
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace repscope::report {

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  // Starts a new section (a heading in the table of contents). `intro` is plain text.
  void section(const std::string& heading, const std::string& intro = "");
  // A sub-heading inside the current section.
  void subheading(const std::string& heading);
  void paragraph(const std::string& text);  // plain text, escaped
  // An inline SVG element (from svg_plot.h) with a caption.
  void figure(const std::string& svg, const std::string& caption = "");
  // A table of escaped text. Numeric-looking cells are right-aligned. With `collapsed`, the table
  // sits in a <details> element showing `caption` (long tables stay out of the way).
  void table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows, const std::string& caption = "",
             bool collapsed = false);
  // Pretty-printed JSON (e.g. the run's manifest) in a <pre> block. Throws Error naming `source`
  // when `json_text` is not valid JSON.
  void json(const std::string& json_text, const std::string& source,
            const std::string& caption = "");
  // A note styled as a warning (e.g. an unreadable table that was skipped).
  void note(const std::string& text);

  std::string html() const;
  // Writes html() atomically.
  void write(const std::filesystem::path& path) const;

 private:
  struct Section {
    std::string heading, id, body;
  };
  Section& current();

  std::string title_;
  std::vector<Section> sections_;
};

}  // namespace repscope::report

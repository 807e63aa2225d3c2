#include "io/report/html_report.h"

#include <cctype>

#include "io/file_util.h"
#include "io/json.h"
#include "io/report/svg_plot.h"
#include "nn/error.h"

namespace repscope::report {

namespace {

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0; color: #1d1d1f; background: #f6f6f4; }
header { background: #23313f; color: white; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; font-weight: 600; }
header p { margin: 4px 0 0; color: #c9d3dc; font-size: 13px; }
nav { padding: 10px 32px; background: #e9ecef; font-size: 14px; }
nav a { margin-right: 18px; color: #23313f; text-decoration: none; }
main { padding: 8px 32px 40px; max-width: 1280px; }
section { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 6px 22px 18px; margin: 18px 0; }
h2 { font-size: 19px; border-bottom: 1px solid #eee; padding-bottom: 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; color: #333; }
figure { margin: 12px 0; display: inline-block; vertical-align: top; }
figcaption { font-size: 12.5px; color: #555; max-width: 880px; margin-top: 4px; }
svg.plot { border: 1px solid #e3e3e3; border-radius: 4px; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f0f2f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
details summary { cursor: pointer; color: #23313f; font-size: 13.5px; margin: 6px 0; }
pre.json { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 10px; font-size: 12px; overflow: auto; max-height: 480px; }
p.note { background: #fff6e0; border-left: 4px solid #e0a800; padding: 6px 10px; font-size: 13px; }
footer { color: #777; font-size: 12px; padding: 0 32px 24px; }
)";

bool looks_numeric(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E')) {
      return s == "nan" || s == "NaN" || s == "inf" || s == "-inf";
    }
  }
  return std::isdigit(static_cast<unsigned char>(s.back())) || s.back() == '.';
}

std::string slug(const std::string& s, std::size_t n) {
  std::string out = "s" + std::to_string(n) + "-";
  for (char c : s)
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
               : '-';
  return out;
}

}  // namespace

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

HtmlReport::Section& HtmlReport::current() {
  if (sections_.empty()) section("Overview");
  return sections_.back();
}

void HtmlReport::section(const std::string& heading, const std::string& intro) {
  sections_.push_back({heading, slug(heading, sections_.size()), ""});
  if (!intro.empty()) paragraph(intro);
}

void HtmlReport::subheading(const std::string& heading) {
  current().body += "<h3>" + xml_escape(heading) + "</h3>\n";
}

void HtmlReport::paragraph(const std::string& text) {
  current().body += "<p>" + xml_escape(text) + "</p>\n";
}

void HtmlReport::note(const std::string& text) {
  current().body += "<p class=\"note\">" + xml_escape(text) + "</p>\n";
}

void HtmlReport::figure(const std::string& svg, const std::string& caption) {
  auto& b = current().body;
  b += "<figure>\n" + svg;
  if (!caption.empty()) b += "<figcaption>" + xml_escape(caption) + "</figcaption>\n";
  b += "</figure>\n";
}

void HtmlReport::table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& caption, bool collapsed) {
  std::string t = "<table>\n<thead><tr>";
  for (const auto& h : header) t += "<th>" + xml_escape(h) + "</th>";
  t += "</tr></thead>\n<tbody>\n";
  for (const auto& r : rows) {
    t += "<tr>";
    for (const auto& cell : r)
      t += (looks_numeric(cell) ? "<td class=\"num\">" : "<td>") + xml_escape(cell) + "</td>";
    t += "</tr>\n";
  }
  t += "</tbody></table>\n";
  auto& b = current().body;
  if (collapsed) {
    b += "<details><summary>" + xml_escape(caption.empty() ? "table" : caption) + " (" +
         std::to_string(rows.size()) + " rows)</summary>\n" + t + "</details>\n";
  } else {
    if (!caption.empty()) b += "<p>" + xml_escape(caption) + "</p>\n";
    b += t;
  }
}

void HtmlReport::json(const std::string& json_text, const std::string& source,
                      const std::string& caption) {
  const std::string pretty = parse_json(json_text, source).dump(2);
  auto& b = current().body;
  if (!caption.empty()) b += "<p>" + xml_escape(caption) + "</p>\n";
  b += "<pre class=\"json\">" + xml_escape(pretty) + "</pre>\n";
}

std::string HtmlReport::html() const {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      xml_escape(title_) + "</title>\n<style>" + kStyle +
      "</style>\n</head>\n<body>\n<header><h1>" + xml_escape(title_) +
      "</h1><p>repscope · self-contained report (no external resources)</p></header>\n<nav>";
  for (const auto& s : sections_)
    h += "<a href=\"#" + s.id + "\">" + xml_escape(s.heading) + "</a>";
  h += "</nav>\n<main>\n";
  for (const auto& s : sections_) {
    h += "<section id=\"" + s.id + "\">\n<h2>" + xml_escape(s.heading) + "</h2>\n" + s.body +
         "</section>\n";
  }
  h += "</main>\n<footer>Generated by repscope.</footer>\n</body>\n</html>\n";
  return h;
}

void HtmlReport::write(const std::filesystem::path& path) const {
  write_text_file_atomic(path, html());
}

}  // namespace repscope::report

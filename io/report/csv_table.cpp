#include "io/report/csv_table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "io/file_util.h"
#include "nn/error.h"

namespace repscope::report {

CsvTable CsvTable::parse(std::string_view text, std::string source) {
  CsvTable t;
  t.source_ = std::move(source);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte-order mark (Excel)
  std::vector<std::string> fields;
  std::string field;
  std::size_t line = 1, row_line = 1;
  bool quoted = false, field_started = false, row_has_content = false;
  auto end_field = [&] {
    fields.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    if (row_has_content || fields.size() > 1 || !fields.back().empty()) {
      if (t.header_.empty()) {
        t.header_ = std::move(fields);
      } else {
        check(fields.size() == t.header_.size(), t.source_, ": line ", row_line, " has ",
              fields.size(), " fields, the header has ", t.header_.size());
        t.rows_.push_back(std::move(fields));
        t.lines_.push_back(row_line);
      }
    }
    fields.clear();
    row_has_content = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      check(!field_started, t.source_, ": line ", line, ": a quote inside an unquoted field");
      quoted = field_started = row_has_content = true;
    } else if (c == ',') {
      end_field();
      row_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_field();
      end_row();
      row_line = ++line;
    } else {
      check(c != '\0', t.source_, ": line ", line, ": NUL byte (not a text file?)");
      field += c;
      field_started = row_has_content = true;
    }
  }
  check(!quoted, t.source_, ": line ", row_line, ": unterminated quoted field");
  end_field();
  end_row();
  check(!t.header_.empty(), t.source_, ": empty table (no header row)");
  for (std::size_t i = 0; i < t.header_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      check(t.header_[i] != t.header_[j], t.source_, ": column '", t.header_[i],
            "' appears twice in the header");
    }
  }
  return t;
}

CsvTable CsvTable::read(const std::filesystem::path& path) {
  return parse(read_text_file(path), path.string());
}

bool CsvTable::has_column(std::string_view name) const {
  return std::find(header_.begin(), header_.end(), name) != header_.end();
}

std::size_t CsvTable::column(std::string_view name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  check(it != header_.end(), source_, ": missing column '", name, "'");
  return static_cast<std::size_t>(it - header_.begin());
}

void CsvTable::require_columns(const std::vector<std::string>& names) const {
  std::string missing;
  for (const auto& n : names) {
    if (!has_column(n)) missing += (missing.empty() ? "'" : ", '") + n + "'";
  }
  if (missing.empty()) return;
  std::string have;
  for (const auto& h : header_) have += (have.empty() ? "" : ", ") + h;
  fail(source_, ": missing column(s) ", missing, " (columns: ", have, ")");
}

double CsvTable::number(std::size_t row, std::size_t col) const {
  std::string_view s = rows_[row][col];
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty() || s == "nan" || s == "NaN" || s == "NA" || s == "-nan")
    return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf" || s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-inf" || s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  check(ec == std::errc() && end == s.data() + s.size(), source_, ": line ", lines_[row],
        ", column '", header_[col], "': '", rows_[row][col], "' is not a number");
  return v;
}

}  // namespace repscope::report

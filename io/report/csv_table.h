// A small CSV reader for the report's input tables (RFC 4180: comma separated, optional double
// quotes with "" escapes, CRLF or LF). The first row is the header. Every error names the file,
// the line and, for values, the column.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace repscope::report {

class CsvTable {
 public:
  // Parses CSV text; `source` (usually the path) names the table in errors. Rows must have as
  // many fields as the header; blank lines are skipped.
  static CsvTable parse(std::string_view text, std::string source);
  static CsvTable read(const std::filesystem::path& path);

  const std::string& source() const { return source_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t rows() const { return rows_.size(); }
  const std::vector<std::string>& row(std::size_t i) const { return rows_[i]; }

  bool has_column(std::string_view name) const;
  // Index of a column; throws Error "<file>: missing column 'name'" when absent.
  std::size_t column(std::string_view name) const;
  // Throws unless every named column exists (one error listing all missing ones).
  void require_columns(const std::vector<std::string>& names) const;

  const std::string& text(std::size_t row, std::size_t col) const { return rows_[row][col]; }
  // The value as a number: "", "nan", "NaN", "NA" give NaN; anything else that is not a number
  // throws Error naming the file, line and column.
  double number(std::size_t row, std::size_t col) const;

 private:
  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> lines_;  // source line of each row, for errors
};

}  // namespace repscope::report

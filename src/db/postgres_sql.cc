#include "db/postgres_sql.h"

#include <cctype>
#include <vector>

namespace loupe::db {
namespace {

struct Token {
  enum Kind { kWord, kSpace, kPlaceholder, kOther } kind;
  std::string_view text;
};

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Splits SQL into words, whitespace, `?` and everything else; a literal, quoted identifier or
// comment is one kOther token, so nothing inside it is rewritten.
std::vector<Token> Lex(std::string_view sql) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto emit = [&](Token::Kind kind, size_t start) {
    tokens.push_back({kind, sql.substr(start, i - start)});
  };
  while (i < sql.size()) {
    size_t start = i;
    char c = sql[i];
    if (c == '\'' || c == '"') {
      ++i;
      while (i < sql.size()) {
        if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) {
            i += 2;  // doubled quote: escaped
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      emit(Token::kOther, start);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
      emit(Token::kOther, start);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
      emit(Token::kOther, start);
    } else if (IsWordStart(c)) {
      while (i < sql.size() && IsWordChar(sql[i])) ++i;
      emit(Token::kWord, start);
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
      emit(Token::kSpace, start);
    } else {
      ++i;
      emit(c == '?' ? Token::kPlaceholder : Token::kOther, start);
    }
  }
  return tokens;
}

bool WordIs(const Token& t, std::string_view upper) {
  if (t.kind != Token::kWord || t.text.size() != upper.size()) return false;
  for (size_t i = 0; i < upper.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != upper[i]) return false;
  }
  return true;
}

// The index of the next non-space token after `i` (tokens.size() if none).
size_t NextWord(const std::vector<Token>& tokens, size_t i) {
  ++i;
  while (i < tokens.size() && tokens[i].kind == Token::kSpace) ++i;
  return i;
}

}  // namespace

PostgresStatement ToPostgresStatement(std::string_view sql) {
  PostgresStatement out;
  out.sql.reserve(sql.size() + 8);
  for (const Token& t : Lex(sql)) {
    if (t.kind == Token::kPlaceholder) {
      out.sql += '$';
      out.sql += std::to_string(++out.placeholders);
    } else {
      out.sql += t.text;
    }
  }
  return out;
}

std::string ToPostgresSchema(std::string_view script) {
  std::vector<Token> tokens = Lex(script);
  std::string out;
  out.reserve(script.size() + 64);
  auto word_at = [&](size_t i, std::string_view upper) {
    return i < tokens.size() && WordIs(tokens[i], upper);
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (WordIs(t, "INTEGER")) {
      size_t primary = NextWord(tokens, i);
      size_t key = NextWord(tokens, primary);
      if (word_at(primary, "PRIMARY") && word_at(key, "KEY")) {
        // SQLite's INTEGER PRIMARY KEY is the rowid: assigned when not given.
        out += "BIGSERIAL PRIMARY KEY";
        i = key;
        size_t autoincrement = NextWord(tokens, key);
        if (word_at(autoincrement, "AUTOINCREMENT")) i = autoincrement;
        continue;
      }
      out += "BIGINT";
    } else if (WordIs(t, "REAL")) {
      out += "DOUBLE PRECISION";
    } else if (WordIs(t, "BLOB")) {
      out += "BYTEA";
    } else if (WordIs(t, "TEXT")) {
      out += "TEXT COLLATE \"C\"";
    } else {
      out += t.text;
    }
  }
  return out;
}

}  // namespace loupe::db

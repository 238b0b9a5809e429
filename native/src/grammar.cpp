// Compiled only once the build provides llguidance.h (scripts/build-grammar.mjs
// + the CMake include dir), so the addon still builds before that is wired.
#if __has_include("llguidance.h")
#include "grammar.h"

#include <chrono>
#include <cstring>
#include <limits>

#include "errors.h"
#include "llguidance.h"

namespace pocket {
namespace {

constexpr uint8_t kSpecialMarker = 0xFF;  // llguidance's prefix for special tokens

LlgConstraintInit constraint_init(const LlgTokenizer* tok) {
  LlgConstraintInit init{};
  llg_constraint_init_set_defaults(&init, tok);
  init.log_stderr_level = 0;  // errors reach the caller, not stderr
  init.limits.verbose_errors = false;
  return init;
}

std::string format_error(const char* msg) {
  return std::string("response_format: ") + (msg ? msg : "invalid grammar");
}

LlgTokenizer* make_tokenizer(LlgTokenizerInitV2& init, const std::vector<int>& eos_ids) {
  if (eos_ids.empty()) throw invalid_arg("[GrammarTokenizer] at least one end-of-generation token is needed");
  std::vector<LlgToken> extra(eos_ids.begin() + 1, eos_ids.end());
  init.struct_size = sizeof(init);
  init.tok_eos = LlgToken(eos_ids[0]);
  init.tok_eos_extra = extra.empty() ? nullptr : extra.data();
  init.tok_eos_extra_count = uint32_t(extra.size());
  // Greedy tokenization is only used for forced strings; masks are exact.
  init.use_approximate_greedy_tokenize_fn = true;
  char err[1024] = {0};
  auto* tok = llg_new_tokenizer_v2(&init, err, sizeof(err));
  if (!tok) throw invalid_arg(std::string("[GrammarTokenizer] ") + err);
  return tok;
}

// GPT-2's byte -> printable code point map, inverted: code point -> byte.
const std::unordered_map<uint32_t, uint8_t>& byte_level_inverse() {
  static const auto table = [] {
    std::unordered_map<uint32_t, uint8_t> inv;
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      inv[printable ? uint32_t(b) : uint32_t(256 + extra++)] = uint8_t(b);
    }
    return inv;
  }();
  return table;
}

// The single-byte tokenizer used to validate grammars without a model.
const LlgTokenizer* validation_tokenizer() {
  static LlgTokenizer* tok = [] {
    std::vector<std::string> bytes;
    for (int b = 0; b < 256; ++b) bytes.emplace_back(1, char(b));
    bytes.push_back("\xFF<|eos|>");
    std::vector<uint32_t> lens;
    std::string all;
    for (auto& t : bytes) lens.push_back(uint32_t(t.size())), all += t;
    LlgTokenizerInitV2 init{};
    init.vocab_size = uint32_t(bytes.size());
    init.token_lens = lens.data();
    init.token_bytes = reinterpret_cast<const uint8_t*>(all.data());
    return make_tokenizer(init, {256});
  }();
  return tok;
}

} // namespace

bool is_grammar_kind(const std::string& kind) {
  return kind == "json_schema" || kind == "regex" || kind == "lark" || kind == "llguidance";
}

GrammarTokenizer::GrammarTokenizer(const std::vector<std::string>& token_bytes, const std::vector<int>& eos_ids) {
  std::vector<uint32_t> lens;
  lens.reserve(token_bytes.size());
  std::string all;
  for (auto& t : token_bytes) lens.push_back(uint32_t(t.size())), all += t;
  for (int e : eos_ids)
    if (e < 0 || size_t(e) >= token_bytes.size())
      throw invalid_arg("[GrammarTokenizer] end-of-generation token " + std::to_string(e) + " out of range");
  LlgTokenizerInitV2 init{};
  init.vocab_size = uint32_t(token_bytes.size());
  init.token_lens = lens.data();
  init.token_bytes = reinterpret_cast<const uint8_t*>(all.data());
  tok_ = make_tokenizer(init, eos_ids);
  vocab_size_ = int(token_bytes.size());
}

GrammarTokenizer::~GrammarTokenizer() {
  for (auto& [key, m] : lru_) llg_free_matcher(m);
  llg_free_tokenizer(tok_);
}

std::string GrammarTokenizer::byte_level_decode(const std::string& token) {
  auto& inv = byte_level_inverse();
  std::string out;
  for (size_t i = 0; i < token.size();) {
    // Decode one UTF-8 code point.
    auto c = uint8_t(token[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > token.size())
      throw invalid_arg("[GrammarTokenizer] token is not valid UTF-8");
    uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (uint8_t(token[i + k]) & 0x3F);
    auto it = inv.find(cp);
    if (it == inv.end()) throw invalid_arg("[GrammarTokenizer] token is not byte-level encoded");
    out.push_back(char(it->second));
    i += n;
  }
  return out;
}

std::shared_ptr<GrammarTokenizer> GrammarTokenizer::from_byte_level(const std::vector<std::string>& tokens,
                                                                    const std::vector<int>& token_types,
                                                                    int vocab_size,
                                                                    const std::vector<int>& eos_ids) {
  constexpr int kControl = 3, kUserDefined = 4;
  std::vector<std::string> bytes(std::max<size_t>(tokens.size(), size_t(vocab_size)));
  for (size_t i = 0; i < tokens.size(); ++i) {
    int type = i < token_types.size() ? token_types[i] : 1;
    if (type == kControl) {
      bytes[i] = std::string(1, char(kSpecialMarker)) + tokens[i];
    } else if (type == kUserDefined) {
      bytes[i] = tokens[i];  // added tokens are stored as plain text
    } else {
      try {
        bytes[i] = byte_level_decode(tokens[i]);
      } catch (const engine_error&) {
        bytes[i] = tokens[i];
      }
    }
  }
  return std::shared_ptr<GrammarTokenizer>(new GrammarTokenizer(bytes, eos_ids));
}

std::shared_ptr<GrammarTokenizer> GrammarTokenizer::from_tokenizer_json(const std::string& json, int vocab_size,
                                                                        const std::vector<int>& eos_ids) {
  LlgTokenizerInitV2 init{};
  init.vocab_size = uint32_t(vocab_size);
  init.tokenizer_json = json.c_str();
  auto* tok = make_tokenizer(init, eos_ids);
  return std::shared_ptr<GrammarTokenizer>(new GrammarTokenizer(tok, vocab_size));
}

LlgMatcher* GrammarTokenizer::new_matcher(const std::string& kind, const std::string& text) {
  if (!is_grammar_kind(kind))
    throw invalid_arg("response_format: unknown grammar kind \"" + kind +
                      "\" (expected json_schema, regex, lark or llguidance)");
  std::string key = kind + '\0' + text;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  auto hit = index_.find(key);
  if (hit != index_.end()) {
    lru_.splice(lru_.begin(), lru_, hit->second);
    return llg_clone_matcher(hit->second->second);
  }
  auto init = constraint_init(tok_);
  LlgMatcher* proto = llg_new_matcher(&init, kind.c_str(), text.c_str());
  if (llg_matcher_is_error(proto)) {
    std::string msg = format_error(llg_matcher_get_error(proto));
    llg_free_matcher(proto);
    throw invalid_arg(msg);
  }
  lru_.emplace_front(key, proto);
  index_[key] = lru_.begin();
  if (lru_.size() > kCacheSize) {
    index_.erase(lru_.back().first);
    llg_free_matcher(lru_.back().second);
    lru_.pop_back();
  }
  return llg_clone_matcher(proto);
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<GrammarTokenizer> tokenizer, const std::string& kind,
                               const std::string& text)
    : tokenizer_(std::move(tokenizer)) {
  m_ = tokenizer_->new_matcher(kind, text);
  mask_.assign(llg_matcher_get_mask_byte_size(m_) / 4, 0);
}

GrammarMatcher::~GrammarMatcher() { llg_free_matcher(m_); }

const std::vector<uint32_t>& GrammarMatcher::compute_mask() {
  auto t0 = std::chrono::steady_clock::now();
  if (llg_matcher_compute_mask_into(m_, mask_.data(), mask_.size() * 4) != 0)
    throw invalid_arg(format_error(llg_matcher_get_error(m_)));
  stats_.masks++;
  stats_.mask_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return mask_;
}

bool GrammarMatcher::allowed(int token) const {
  if (token < 0 || size_t(token) >= mask_.size() * 32 || token >= tokenizer_->vocab_size()) return false;
  return (mask_[size_t(token) / 32] >> (token % 32)) & 1u;
}

void GrammarMatcher::mask_logits(std::vector<float>& logits) {
  compute_mask();
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  size_t n = logits.size(), limit = std::min(n, size_t(tokenizer_->vocab_size()));
  size_t i = 0;
  for (size_t w = 0; i < limit; ++w) {
    uint32_t bits = mask_[w];
    size_t end = std::min(limit, i + 32);
    if (bits == 0) {
      for (; i < end; ++i) logits[i] = kNegInf;
    } else if (bits != 0xFFFFFFFFu) {
      for (int b = 0; i < end; ++i, ++b)
        if (!((bits >> b) & 1u)) logits[i] = kNegInf;
    } else {
      i = end;
    }
  }
  for (; i < n; ++i) logits[i] = kNegInf;
}

void GrammarMatcher::consume(int token) {
  if (token < 0 || token >= tokenizer_->vocab_size())
    throw invalid_arg("response_format: token " + std::to_string(token) + " outside the grammar's vocabulary");
  if (llg_matcher_consume_token(m_, uint32_t(token)) != 0)
    throw invalid_arg(format_error(llg_matcher_get_error(m_)));
}

std::vector<int> GrammarMatcher::forced_tokens() {
  std::vector<uint32_t> buf(64);
  int32_t n = llg_matcher_compute_ff_tokens(m_, buf.data(), buf.size());
  if (n < 0) throw invalid_arg(format_error(llg_matcher_get_error(m_)));
  return std::vector<int>(buf.begin(), buf.begin() + std::min<int32_t>(n, int32_t(buf.size())));
}

bool GrammarMatcher::accepting() const { return llg_matcher_is_accepting(m_); }
bool GrammarMatcher::stopped() const { return llg_matcher_is_stopped(m_); }
bool GrammarMatcher::is_error() const { return llg_matcher_is_error(m_); }

std::string GrammarMatcher::error() const {
  const char* e = llg_matcher_get_error(m_);
  return e ? std::string(e) : std::string();
}

std::string GrammarMatcher::validate(const std::string& kind, const std::string& text) {
  if (!is_grammar_kind(kind))
    return "response_format: unknown grammar kind \"" + kind + "\" (expected json_schema, regex, lark or llguidance)";
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto init = constraint_init(validation_tokenizer());
  char msg[4096] = {0};
  int32_t rc = llg_validate_grammar(&init, kind.c_str(), text.c_str(), msg, sizeof(msg));
  return rc < 0 ? format_error(msg) : std::string();
}

} // namespace pocket

#endif  // __has_include("llguidance.h")

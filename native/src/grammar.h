// Grammar-constrained decoding over llguidance's C API (llguidance.h, linked
// as a static library). A GrammarTokenizer is built once per model from its
// vocabulary; a GrammarMatcher follows one generation, masking the logits of
// every token the grammar forbids. Compiled grammars are cached per tokenizer
// (keyed by kind + text) and cloned for each request.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

struct LlgTokenizer;
struct LlgMatcher;

namespace pocket {

// The kinds llguidance accepts: "json_schema", "regex", "lark", "llguidance".
bool is_grammar_kind(const std::string& kind);

class GrammarTokenizer {
 public:
  // `token_bytes[i]` are token i's raw bytes; special (control) tokens are
  // "\xFF" + their name, which lets Lark grammars name them as <|im_end|>.
  // `eos_ids` end generation and are allowed only where the grammar accepts.
  GrammarTokenizer(const std::vector<std::string>& token_bytes, const std::vector<int>& eos_ids);
  ~GrammarTokenizer();
  GrammarTokenizer(const GrammarTokenizer&) = delete;
  GrammarTokenizer& operator=(const GrammarTokenizer&) = delete;

  // From a GGUF gpt2 vocabulary (`tokenizer.ggml.tokens`, byte-level BPE
  // strings) and `tokenizer.ggml.token_type` (3 = control: marked special).
  // The vocabulary is padded with unusable tokens up to `vocab_size`.
  static std::shared_ptr<GrammarTokenizer> from_byte_level(const std::vector<std::string>& tokens,
                                                           const std::vector<int>& token_types,
                                                           int vocab_size, const std::vector<int>& eos_ids);
  // From the text of a Hugging Face tokenizer.json (llguidance decodes
  // byte-level and byte-fallback vocabularies itself), padded to vocab_size.
  static std::shared_ptr<GrammarTokenizer> from_tokenizer_json(const std::string& json, int vocab_size,
                                                               const std::vector<int>& eos_ids);

  // GPT-2 byte-level string (e.g. "Ġworld") -> raw bytes (" world"). Throws
  // when a character is outside the 256-symbol alphabet.
  static std::string byte_level_decode(const std::string& token);

  int vocab_size() const { return vocab_size_; }
  const LlgTokenizer* handle() const { return tok_; }

 private:
  friend class GrammarMatcher;
  GrammarTokenizer(LlgTokenizer* tok, int vocab_size) : tok_(tok), vocab_size_(vocab_size) {}
  // A fresh matcher for (kind, text): a clone of the cached compiled one.
  LlgMatcher* new_matcher(const std::string& kind, const std::string& text);

  LlgTokenizer* tok_ = nullptr;
  int vocab_size_ = 0;
  std::mutex cache_mutex_;
  using CacheEntry = std::pair<std::string, LlgMatcher*>;
  std::list<CacheEntry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<CacheEntry>::iterator> index_;
  static constexpr size_t kCacheSize = 32;
};

struct GrammarStats {
  int masks = 0;
  double mask_ms = 0;  // total time spent computing masks
};

class GrammarMatcher {
 public:
  // Throws pocket::invalid_arg("response_format: ...") when the grammar is
  // invalid or unsupported.
  GrammarMatcher(std::shared_ptr<GrammarTokenizer> tokenizer, const std::string& kind,
                 const std::string& text);
  ~GrammarMatcher();
  GrammarMatcher(const GrammarMatcher&) = delete;
  GrammarMatcher& operator=(const GrammarMatcher&) = delete;

  // Sets the logit of every token the grammar forbids next to -inf. Tokens
  // past the tokenizer's vocabulary are always forbidden.
  void mask_logits(std::vector<float>& logits);
  // The raw allowed-token bitset (32 tokens per word), for callers that
  // apply the mask themselves.
  const std::vector<uint32_t>& compute_mask();
  bool allowed(int token) const;
  // Advances by a sampled token; throws if the grammar rejects it.
  void consume(int token);
  // Tokens the grammar forces next (may be empty).
  std::vector<int> forced_tokens();

  bool accepting() const;
  bool stopped() const;
  bool is_error() const;
  std::string error() const;
  const GrammarStats& stats() const { return stats_; }

  // Checks (kind, text) without a model. Returns "" when valid, else the
  // message as thrown ("response_format: ...").
  static std::string validate(const std::string& kind, const std::string& text);

 private:
  std::shared_ptr<GrammarTokenizer> tokenizer_;
  LlgMatcher* m_ = nullptr;
  std::vector<uint32_t> mask_;
  GrammarStats stats_;
};

} // namespace pocket

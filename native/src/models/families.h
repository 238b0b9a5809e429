// One function per architecture: GGUF metadata -> DecoderConfig features.
// Each lives in models/<arch>.cpp; registry.cpp maps general.architecture
// onto them.
#pragma once

#include "gguf_keys.h"

namespace pocket {

void configure_llama(const GgufKeys& k, DecoderConfig& c);  // llama, mistral
void configure_qwen2(const GgufKeys& k, DecoderConfig& c);  // qwen2, qwen3
void configure_gemma2(const GgufKeys& k, DecoderConfig& c);
void configure_gemma3(const GgufKeys& k, DecoderConfig& c);
void configure_phi3(const GgufKeys& k, DecoderConfig& c);
void configure_olmo2(const GgufKeys& k, DecoderConfig& c);
void configure_smollm3(const GgufKeys& k, DecoderConfig& c);
void configure_granite(const GgufKeys& k, DecoderConfig& c);
void configure_qwen3moe(const GgufKeys& k, DecoderConfig& c);
void configure_gpt_oss(const GgufKeys& k, DecoderConfig& c);
// <arch>.expert_count / expert_used_count / expert_feed_forward_length ...
// into c.moe (nothing when the file has no experts); a bad expert count is a
// load error.
void read_moe_keys(const GgufKeys& k, DecoderConfig& c);

}  // namespace pocket

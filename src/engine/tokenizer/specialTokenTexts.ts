// Token texts llama.cpp treats specially whatever the GGUF's token types say
// (llama-vocab.cpp load): end-of-generation tokens and fill-in-the-middle
// markers become control tokens, and a few gpt-oss markers stay readable.

/** Tokens that end generation (llama.cpp special_eog_ids, by text). */
export const EOG_TEXTS = new Set([
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
  '<|flush|>',
  '<|calls|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '</s>',
  '<|eom_id|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '[EOS]',
  '<|end_of_text|>',
  '<end_of_utterance>',
  '<eos>',
  '<turn|>',
  '<|tool_response>',
  '<｜end▁of▁sentence｜>',
  '[e~[',
])

/** Fill-in-the-middle markers: control tokens, and PAD/REP/SEP end generation. */
export const FIM_TEXTS = new Set([
  '<|fim_prefix|>',
  '<fim-prefix>',
  '<fim_prefix>',
  '<｜fim▁begin｜>',
  '<PRE>',
  '▁<PRE>',
  '<|code_prefix|>',
  '<|prefix|>',
  '<|fim_suffix|>',
  '<fim-suffix>',
  '<fim_suffix>',
  '<｜fim▁hole｜>',
  '<SUF>',
  '▁<SUF>',
  '<|code_suffix|>',
  '<|suffix|>',
  '<|fim_middle|>',
  '<fim-middle>',
  '<fim_middle>',
  '<｜fim▁end｜>',
  '<MID>',
  '▁<MID>',
  '<|code_middle|>',
  '<|middle|>',
])

export const FIM_EOG_TEXTS = new Set([
  '<|fim_pad|>',
  '<fim-pad>',
  '<fim_pad>',
  '<PAD>',
  '[PAD]',
  '<|fim_repo|>',
  '<|repo_name|>',
  '<fim-repo>',
  '<REPO>',
  '<reponame>',
  '<|file_sep|>',
])

/** gpt-oss Harmony markers llama.cpp always renders (user-defined). */
export const ALWAYS_RENDERED_TEXTS = new Set([
  '<|channel|>',
  '<|message|>',
  '<|start|>',
  '<|constrain|>',
])

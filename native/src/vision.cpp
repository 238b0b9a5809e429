#include "vision.h"

#include <cmath>

#include "dense.h"
#include "errors.h"

namespace pocket {
namespace {

bool has(const WeightMap& w, const std::string& k) { return w.count(k) > 0; }

LayerNorm load_norm(WeightMap& w, const std::string& p, float eps) {
  return LayerNorm{take_weight(w, p + ".weight"), take_weight(w, p + ".bias"), eps};
}

Transformer load_transformer(WeightMap& w, const std::string& p, const TowerConfig& c) {
  if (c.hidden_size <= 0 || c.num_heads <= 0 || c.hidden_size % c.num_heads != 0 || c.num_layers <= 0)
    throw load_error("inconsistent tower configuration at " + p);
  activation(mx::array(0.0f), c.hidden_act);
  Transformer t{c, {}};
  for (int i = 0; i < c.num_layers; ++i) {
    auto l = p + "encoder.layers." + std::to_string(i) + ".";
    t.layers.push_back(EncoderLayer{
        load_norm(w, l + "layer_norm1", c.layer_norm_eps), load_norm(w, l + "layer_norm2", c.layer_norm_eps),
        load_linear(w, l + "self_attn.q_proj", 0), load_linear(w, l + "self_attn.k_proj", 0),
        load_linear(w, l + "self_attn.v_proj", 0), load_linear(w, l + "self_attn.out_proj", 0),
        load_linear(w, l + "mlp.fc1", 0), load_linear(w, l + "mlp.fc2", 0)});
    if (t.layers.back().q.out_features() != c.hidden_size)
      throw load_error(l + "self_attn.q_proj does not match hidden_size");
  }
  return t;
}

mx::array attend(const Linear& q, const Linear& k, const Linear& v, const Linear& o, const mx::array& xq,
                 const mx::array& xkv, int heads, const std::optional<mx::array>& bias) {
  int B = xq.shape(0), Lq = xq.shape(1), Lk = xkv.shape(1), D = xq.shape(2) / heads;
  auto split = [&](const mx::array& t, int L) { return mx::transpose(mx::reshape(t, {B, L, heads, D}), {0, 2, 1, 3}); };
  auto out = encoder_attention(split(dense(q, xq), Lq), split(dense(k, xkv), Lk), split(dense(v, xkv), Lk),
                               1.0f / std::sqrt(float(D)), bias);
  return dense(o, mx::reshape(mx::transpose(out, {0, 2, 1, 3}), {B, Lq, heads * D}));
}

// Picks the first prefix under which `probe` exists.
std::string find_prefix(const WeightMap& w, const std::vector<std::string>& candidates, const std::string& probe) {
  for (auto& p : candidates)
    if (has(w, p + probe)) return p;
  throw load_error("no tensor named *" + probe + " (looked under " + candidates.front() + " and others)");
}

} // namespace

mx::array Transformer::operator()(mx::array h, const std::optional<mx::array>& bias, int count) const {
  int n = count < 0 ? int(layers.size()) : std::min(count, int(layers.size()));
  for (int i = 0; i < n; ++i) {
    auto& l = layers[i];
    auto x = l.norm1(h);
    h = mx::add(h, attend(l.q, l.k, l.v, l.o, x, x, cfg.num_heads, bias));
    h = mx::add(h, dense(l.fc2, activation(dense(l.fc1, l.norm2(h)), cfg.hidden_act)));
  }
  return h;
}

VisionModel::VisionModel(VisionModelConfig cfg, WeightMap& w)
    : cfg_(std::move(cfg)), patch_w_(mx::array(0.0f)), vision_pos_(mx::array(0.0f)) {
  auto& c = cfg_;
  auto& vc = c.vision;
  if (vc.patch_size <= 0 || vc.image_size <= 0 || vc.image_size % vc.patch_size != 0)
    throw load_error("vision_config: image_size must be a positive multiple of patch_size");
  auto vp = find_prefix(w,
                        {"vision_model.", "model.vision_model.", "vision_tower.vision_model.",
                         "model.vision_tower.vision_model.", "vision_tower.", "model.vision_tower."},
                        "embeddings.patch_embedding.weight");
  auto pw = take_weight(w, vp + "embeddings.patch_embedding.weight");  // [D, 3, P, P] (OIHW)
  if (pw.ndim() != 4 || pw.shape(0) != vc.hidden_size || pw.shape(1) != 3 || pw.shape(2) != vc.patch_size)
    throw load_error("patch embedding shape does not match vision_config");
  patch_w_ = mx::reshape(pw, {vc.hidden_size, -1});  // [D, 3*P*P]
  patch_b_ = take_optional(w, vp + "embeddings.patch_embedding.bias");
  class_emb_ = take_optional(w, vp + "embeddings.class_embedding");
  vision_pos_ = take_weight(w, vp + "embeddings.position_embedding.weight");
  int patches = (vc.image_size / vc.patch_size) * (vc.image_size / vc.patch_size);
  if (vision_pos_.shape(0) != patches + (class_emb_ ? 1 : 0))
    throw load_error("position embeddings do not match image_size / patch_size");
  if (has(w, vp + "pre_layrnorm.weight")) pre_norm_ = load_norm(w, vp + "pre_layrnorm", vc.layer_norm_eps);
  vision_ = load_transformer(w, vp, vc);
  if (has(w, vp + "post_layernorm.weight")) post_norm_ = load_norm(w, vp + "post_layernorm", vc.layer_norm_eps);

  if (c.family == "siglip" && has(w, vp + "head.probe")) {
    probe_ = take_weight(w, vp + "head.probe");
    auto in_w = take_weight(w, vp + "head.attention.in_proj_weight");
    auto in_b = take_weight(w, vp + "head.attention.in_proj_bias");
    auto parts = mx::split(in_w, 3, 0);
    auto biases = mx::split(in_b, 3, 0);
    head_in_q_.weight = parts[0], head_in_q_.bias = biases[0];
    head_in_k_.weight = parts[1], head_in_k_.bias = biases[1];
    head_in_v_.weight = parts[2], head_in_v_.bias = biases[2];
    head_out_ = load_linear(w, vp + "head.attention.out_proj", 0);
    head_norm_ = load_norm(w, vp + "head.layernorm", vc.layer_norm_eps);
    head_fc1_ = load_linear(w, vp + "head.mlp.fc1", 0);
    head_fc2_ = load_linear(w, vp + "head.mlp.fc2", 0);
  }
  if (c.text.hidden_size > 0 && has(w, "text_model.embeddings.token_embedding.weight")) {
    auto& tc = c.text;
    text_ = Text{take_weight(w, "text_model.embeddings.token_embedding.weight"),
                 take_weight(w, "text_model.embeddings.position_embedding.weight"),
                 load_transformer(w, "text_model.", tc),
                 load_norm(w, "text_model.final_layer_norm", tc.layer_norm_eps),
                 load_linear(w, "text_model.head", 0, false)};
    tc.max_positions = text_->pos.shape(0);
  }
  visual_proj_ = load_linear(w, "visual_projection", 0, false);
  text_proj_ = load_linear(w, "text_projection", 0, false);
  if (c.family == "clip" && (!visual_proj_.weight || (text_ && !text_proj_.weight)))
    throw load_error("CLIP checkpoint has no visual_projection / text_projection");
  if (c.family == "idefics3") {
    connector_ = load_linear(w, "model.connector.modality_projection.proj", 0, false);
    if (!connector_.weight) connector_ = load_linear(w, "connector.modality_projection.proj", 0);
    if (connector_.weight->shape(1) != vc.hidden_size * c.scale_factor * c.scale_factor)
      throw load_error("connector input does not match hidden_size * scale_factor^2");
  } else if (c.family == "llava") {
    auto pp = find_prefix(w, {"multi_modal_projector.", "model.multi_modal_projector."}, "linear_1.weight");
    mlp1_ = load_linear(w, pp + "linear_1", 0);
    mlp2_ = load_linear(w, pp + "linear_2", 0);
  }

  for (auto* l : {&visual_proj_, &text_proj_, &connector_, &mlp1_, &mlp2_, &head_in_q_, &head_in_k_, &head_in_v_,
                  &head_out_, &head_fc1_, &head_fc2_})
    for (auto* a : {&l->weight, &l->bias})
      if (*a) params_.push_back(**a);
  params_.push_back(patch_w_);
  params_.push_back(vision_pos_);
  for (auto* t : {&vision_, text_ ? &text_->layers : nullptr}) {
    if (!t) continue;
    for (auto& l : t->layers)
      for (auto* x : {&l.q, &l.k, &l.v, &l.o, &l.fc1, &l.fc2}) {
        params_.push_back(*x->weight);
        if (x->bias) params_.push_back(*x->bias);
      }
  }
  if (text_) params_.insert(params_.end(), {text_->token, text_->pos});
  mx::eval(params_);
}

size_t VisionModel::nbytes() const {
  size_t n = 0;
  for (auto& a : params_) n += a.nbytes();
  return n;
}

int VisionModel::output_dim() const {
  if (connector_.weight) return connector_.out_features();
  if (mlp2_.weight) return mlp2_.out_features();
  if (visual_proj_.weight) return visual_proj_.out_features();
  return cfg_.vision.hidden_size;
}

mx::array VisionModel::vision_states(const mx::array& pixels, int layers) const {
  auto& vc = cfg_.vision;
  int B = pixels.shape(0), H = pixels.shape(1), W = pixels.shape(2), P = vc.patch_size;
  if (H != vc.image_size || W != vc.image_size)
    throw invalid_arg("pixels: expected " + std::to_string(vc.image_size) + "x" + std::to_string(vc.image_size) +
                      " images, got " + std::to_string(H) + "x" + std::to_string(W));
  // Conv with stride = kernel = P is a matmul over flattened (c, y, x) patches.
  auto x = mx::reshape(pixels, {B, H / P, P, W / P, P, 3});
  x = mx::transpose(x, {0, 1, 3, 5, 2, 4});  // [B, gh, gw, 3, P, P]
  x = pocket_matmul_nt(mx::reshape(x, {B, (H / P) * (W / P), 3 * P * P}), patch_w_);
  if (patch_b_) x = mx::add(x, *patch_b_);
  if (class_emb_) {
    auto cls = mx::broadcast_to(mx::reshape(*class_emb_, {1, 1, vc.hidden_size}), {B, 1, vc.hidden_size});
    x = mx::concatenate({cls, x}, 1);
  }
  x = mx::add(x, vision_pos_);
  if (pre_norm_) x = (*pre_norm_)(x);
  return vision_(x, std::nullopt, layers);
}

mx::array VisionModel::embed_image(const mx::array& pixels, bool normalize) const {
  auto h = vision_states(pixels, -1);
  mx::array pooled = h;
  if (probe_) {
    // SigLIP multi-head attention pooling with a learned probe.
    int B = h.shape(0), D = h.shape(2);
    if (post_norm_) h = (*post_norm_)(h);
    auto probe = mx::broadcast_to(*probe_, {B, 1, D});
    auto a = attend(head_in_q_, head_in_k_, head_in_v_, head_out_, probe, h, cfg_.vision.num_heads, std::nullopt);
    a = mx::add(a, dense(head_fc2_, activation(dense(head_fc1_, (*head_norm_)(a)), cfg_.vision.hidden_act)));
    pooled = mx::squeeze(a, 1);
  } else {
    pooled = mx::squeeze(mx::slice(h, {0, 0, 0}, {h.shape(0), 1, h.shape(2)}), 1);  // CLS
    if (post_norm_) pooled = (*post_norm_)(pooled);
  }
  if (visual_proj_.weight) pooled = dense(visual_proj_, pooled);
  if (!normalize) return pooled;
  return mx::divide(pooled, mx::maximum(mx::sqrt(mx::sum(mx::square(pooled), -1, true)), mx::array(1e-12f)));
}

mx::array VisionModel::embed_text(const mx::array& ids, const mx::array& mask, bool normalize) const {
  if (!text_) throw invalid_arg("model: no text tower");
  auto& tc = cfg_.text;
  int B = ids.shape(0), L = ids.shape(1);
  if (L > tc.max_positions)
    throw invalid_arg("inputIds: " + std::to_string(L) + " tokens exceed the text tower's " +
                      std::to_string(tc.max_positions) + " positions");
  auto h = mx::add(mx::take(text_->token, ids, 0), mx::slice(text_->pos, {0, 0}, {L, tc.hidden_size}));
  auto pad = mx::multiply(mx::subtract(mx::array(1.0f), mx::astype(mask, kComputeType)), mx::array(-1e9f));
  auto bias = mx::expand_dims(pad, {1, 2});  // [B, 1, 1, L]
  mx::array pooled = h;
  if (cfg_.family == "clip") {
    // CLIP's text tower is causal and pools at the end-of-text token.
    auto causal = mx::triu(mx::full({L, L}, -1e9f, kComputeType), 1);
    h = text_->final_norm(text_->layers(h, mx::add(bias, causal)));
    auto eos = tc.eos_token_id == 2 || tc.eos_token_id < 0
                   ? mx::argmax(ids, 1)
                   : mx::argmax(mx::equal(ids, mx::array(tc.eos_token_id)), 1);
    pooled = mx::take_along_axis(h, mx::reshape(eos, {B, 1, 1}), 1);
    pooled = dense(text_proj_, mx::squeeze(pooled, 1));
  } else {
    // SigLIP pools the last position (inputs are padded to a fixed length).
    h = text_->final_norm(text_->layers(h, bias));
    pooled = mx::squeeze(mx::slice(h, {0, L - 1, 0}, {B, L, tc.hidden_size}), 1);
    if (text_->head.weight) pooled = dense(text_->head, pooled);
  }
  if (!normalize) return pooled;
  return mx::divide(pooled, mx::maximum(mx::sqrt(mx::sum(mx::square(pooled), -1, true)), mx::array(1e-12f)));
}

mx::array VisionModel::image_features(const mx::array& pixels) const {
  auto& c = cfg_;
  if (c.family == "idefics3") {
    auto h = vision_states(pixels, -1);
    if (post_norm_) h = (*post_norm_)(h);
    // Pixel shuffle: fold each s x s block of patches into one token.
    int B = h.shape(0), N = h.shape(1), D = h.shape(2), s = c.scale_factor;
    int side = int(std::lround(std::sqrt(double(N))));
    if (side * side != N || side % s != 0) throw invalid_arg("pixels: patch grid is not divisible by scale_factor");
    auto x = mx::reshape(h, {B, side, side / s, D * s});
    x = mx::transpose(x, {0, 2, 1, 3});
    x = mx::reshape(x, {B, side / s, side / s, D * s * s});
    x = mx::transpose(x, {0, 2, 1, 3});
    x = mx::reshape(x, {B, N / (s * s), D * s * s});
    return dense(connector_, x);
  }
  if (c.family == "llava") {
    int n = c.feature_layer >= 0 ? c.feature_layer : c.vision.num_layers + 1 + c.feature_layer;
    auto h = vision_states(pixels, n);
    if (c.drop_cls && class_emb_) h = mx::slice(h, {0, 1, 0}, {h.shape(0), h.shape(1), h.shape(2)});
    return dense(mlp2_, activation(dense(mlp1_, h), "gelu"));
  }
  throw invalid_arg("output: image features for a decoder need a VLM checkpoint (idefics3 or llava)");
}

} // namespace pocket

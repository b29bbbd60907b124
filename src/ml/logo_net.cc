#include "ml/logo_net.h"

#include <ATen/Config.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

namespace loupe::ml {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 16u << 20;  // safetensors' own limit is 100 MB; ours is tiny
constexpr int kMinSide = 32;

// IEEE half -> float (safetensors may store F16).
float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3FFu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

struct RawFile {
  std::map<std::string, torch::Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

Result<RawFile> ReadSafetensors(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return NotFoundError("no weights file " + path.string());
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return NotFoundError("cannot stat " + path.string() + ": " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path.string());
  if (size < 8) return DataLossError(path.string() + ": too short for a safetensors file");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];  // little endian
  if (header_len == 0 || header_len > kMaxHeaderBytes || header_len > size - 8) {
    return DataLossError(path.string() + ": bad safetensors header length " +
                         std::to_string(header_len));
  }
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  const uint64_t data_len = size - 8 - header_len;
  std::vector<char> data(data_len);
  in.read(data.data(), static_cast<std::streamsize>(data_len));
  if (!in) return DataLossError(path.string() + ": short read");

  Json j = Json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLossError(path.string() + ": safetensors header is not a JSON object");
  }
  RawFile out;
  for (const auto& [name, v] : j.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) return DataLossError("__metadata__ is not an object");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string()) return DataLossError("__metadata__." + k + " is not a string");
        out.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets") || !v["dtype"].is_string() || !v["shape"].is_array() ||
        !v["data_offsets"].is_array() || v["data_offsets"].size() != 2) {
      return DataLossError("tensor '" + name + "': malformed header entry");
    }
    const std::string dtype = v["dtype"].get<std::string>();
    size_t elem = 0;
    if (dtype == "F32") {
      elem = 4;
    } else if (dtype == "F16") {
      elem = 2;
    } else {
      return InvalidArgumentError("tensor '" + name + "': unsupported dtype " + dtype);
    }
    std::vector<int64_t> shape;
    uint64_t count = 1;
    for (const Json& d : v["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (1u << 24)) {
        return DataLossError("tensor '" + name + "': bad shape");
      }
      shape.push_back(d.get<int64_t>());
      count *= d.get<uint64_t>();
    }
    const Json& off = v["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      return DataLossError("tensor '" + name + "': bad data_offsets");
    }
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_len || end - begin != count * elem) {
      return DataLossError("tensor '" + name + "': data_offsets out of range or size mismatch");
    }
    torch::Tensor t = torch::empty(shape, torch::kFloat32);
    float* dst = t.data_ptr<float>();
    const char* src = data.data() + begin;
    if (elem == 4) {
      std::memcpy(dst, src, count * 4);
    } else {
      for (uint64_t i = 0; i < count; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = HalfToFloat(h);
      }
    }
    out.tensors[name] = std::move(t);
  }
  return out;
}

Result<LogoNetSpec> ParseSpec(const std::map<std::string, std::string>& meta) {
  auto it = meta.find("arch");
  if (it == meta.end()) return InvalidArgumentError("weights file has no __metadata__.arch");
  Json a = Json::parse(it->second, nullptr, false);
  LogoNetSpec s;
  try {
    if (a.is_discarded()) throw std::runtime_error("not JSON");
    if (a.value("act", std::string("relu")) != "relu") throw std::runtime_error("act must be relu");
    s.stem = a.at("stem").get<int>();
    s.neck = a.at("neck").get<int>();
    s.emb_hidden = a.at("emb_hidden").get<int>();
    s.embedding_dim = a.at("emb_dim").get<int>();
    s.lateral_stage = a.at("lateral_stage").get<int>();
    for (const Json& st : a.at("stages")) {
      LogoNetStage g;
      g.expand = st.at(0).get<int>();
      g.channels = st.at(1).get<int>();
      g.repeats = st.at(2).get<int>();
      g.stride = st.at(3).get<int>();
      if (g.expand < 1 || g.channels < 1 || g.repeats < 1 || (g.stride != 1 && g.stride != 2)) {
        throw std::runtime_error("bad stage");
      }
      s.stages.push_back(g);
    }
    if (s.stages.empty() || s.lateral_stage < 0 ||
        s.lateral_stage >= static_cast<int>(s.stages.size()) - 1) {
      throw std::runtime_error("bad lateral_stage");
    }
    auto in = meta.find("input");
    if (in != meta.end()) {
      Json j = Json::parse(in->second, nullptr, false);
      if (!j.is_discarded()) {
        if (j.contains("mean")) s.mean = j["mean"].get<std::array<float, 3>>();
        if (j.contains("std")) s.std = j["std"].get<std::array<float, 3>>();
        s.stride = j.value("stride", 16);
      }
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("bad __metadata__.arch/input: ") + e.what());
  }
  return s;
}

}  // namespace

Result<std::unique_ptr<LogoNet>> LogoNet::Load(const fs::path& path) {
  ASSIGN_OR_RETURN(RawFile raw, ReadSafetensors(path));
  ASSIGN_OR_RETURN(LogoNetSpec spec, ParseSpec(raw.metadata));
  std::unique_ptr<LogoNet> net(new LogoNet());
  net->spec_ = spec;
  net->metadata_ = raw.metadata;

  // Takes "<name>.w"/"<name>.b" and checks the shape [out, in/groups, k, k].
  auto take = [&raw](const std::string& name, int64_t out, int64_t in, int k, int stride,
                     int groups, Conv* c) -> Status {
    auto w = raw.tensors.find(name + ".w");
    auto b = raw.tensors.find(name + ".b");
    if (w == raw.tensors.end() || b == raw.tensors.end()) {
      return InvalidArgumentError("weights file lacks " + name + ".w/.b");
    }
    const std::vector<int64_t> want = {out, in / groups, k, k};
    if (w->second.sizes().vec() != want || b->second.sizes().vec() != std::vector<int64_t>{out}) {
      return InvalidArgumentError("tensor " + name + " has shape " + c10::str(w->second.sizes()) +
                                  ", expected " + c10::str(want));
    }
    c->weight = w->second.contiguous();
    c->bias = b->second.contiguous();
    c->stride = stride;
    c->groups = groups;
    raw.tensors.erase(w);
    raw.tensors.erase(b);
    return Status::Ok();
  };

  RETURN_IF_ERROR(take("stem", spec.stem, 3, 3, 2, 1, &net->stem_));
  int cin = spec.stem;
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const LogoNetStage& g = spec.stages[i];
    std::vector<Block> blocks;
    for (int j = 0; j < g.repeats; ++j) {
      const std::string p = "s" + std::to_string(i) + "." + std::to_string(j) + ".";
      const int stride = j == 0 ? g.stride : 1;
      const int hid = cin * g.expand;
      Block blk;
      blk.has_expand = g.expand != 1;
      if (blk.has_expand) RETURN_IF_ERROR(take(p + "exp", hid, cin, 1, 1, 1, &blk.expand));
      RETURN_IF_ERROR(take(p + "dw", hid, hid, 3, stride, hid, &blk.depthwise));
      RETURN_IF_ERROR(take(p + "proj", g.channels, hid, 1, 1, 1, &blk.project));
      blk.residual = stride == 1 && cin == g.channels;
      blocks.push_back(std::move(blk));
      cin = g.channels;
    }
    net->stages_.push_back(std::move(blocks));
  }
  RETURN_IF_ERROR(
      take("lat", spec.neck, spec.stages[spec.lateral_stage].channels, 1, 1, 1, &net->lateral_));
  RETURN_IF_ERROR(take("top", spec.neck, cin, 1, 1, 1, &net->top_));
  RETURN_IF_ERROR(take("fuse", spec.neck, spec.neck, 3, 1, 1, &net->fuse_));
  RETURN_IF_ERROR(take("obj", 1, spec.neck, 1, 1, 1, &net->objectness_));
  RETURN_IF_ERROR(take("emb1", spec.emb_hidden, spec.neck, 1, 1, 1, &net->emb1_));
  RETURN_IF_ERROR(take("emb2", spec.embedding_dim, spec.emb_hidden, 1, 1, 1, &net->emb2_));
  if (!raw.tensors.empty()) {
    return InvalidArgumentError("weights file has unexpected tensor " + raw.tensors.begin()->first);
  }
  return net;
}

torch::Tensor LogoNet::Apply(const Conv& c, const torch::Tensor& x, bool relu) {
  const int64_t k = c.weight.size(-1);
  const std::vector<int64_t> pad = {k / 2, k / 2}, stride = {c.stride, c.stride}, dil = {1, 1};
  torch::Tensor y;
#if AT_MKLDNN_ENABLED()
  // oneDNN directly: libtorch would route 1x1 convolutions of a single image on one thread to
  // its slow im2col path (4-5x slower here); the result is the same.
  y = at::mkldnn_convolution(x, c.weight, c.bias, pad, stride, dil, c.groups);
#else
  y = torch::conv2d(x, c.weight, c.bias, stride, pad, dil, c.groups);
#endif
  return relu ? torch::relu_(y) : y;
}

Result<LogoNetOutput> LogoNet::Forward(const torch::Tensor& batch,
                                       double attention_temperature) const {
  if (!batch.defined() || batch.dim() != 4 || batch.size(1) != 3 || batch.size(0) < 1) {
    return InvalidArgumentError("LogoNet input must be [N,3,H,W]");
  }
  if (batch.size(2) < kMinSide || batch.size(3) < kMinSide) {
    return InvalidArgumentError("LogoNet input must be at least 32x32");
  }
  if (batch.scalar_type() != torch::kFloat32 || !batch.device().is_cpu()) {
    return InvalidArgumentError("LogoNet input must be a float32 CPU tensor");
  }
  if (!(attention_temperature > 0)) {
    return InvalidArgumentError("LogoNet attention temperature must be positive");
  }
  try {
    torch::NoGradGuard no_grad;
    c10::InferenceMode inference;
#if AT_MKLDNN_ENABLED()
    // The backbone runs in oneDNN's blocked layout end to end (one reorder in, two out): each
    // convolution on a plain tensor would reorder its input and output (~1.6x slower).
    torch::Tensor x = Apply(stem_, batch.contiguous().to_mkldnn(), true);
#else
    torch::Tensor x = Apply(stem_, batch.contiguous(), true);
#endif
    torch::Tensor lat;
    for (size_t i = 0; i < stages_.size(); ++i) {
      for (const Block& b : stages_[i]) {
        torch::Tensor y = b.has_expand ? Apply(b.expand, x, true) : x;
        y = Apply(b.depthwise, y, true);
        y = Apply(b.project, y, false);
        x = b.residual ? x + y : y;
      }
      if (static_cast<int>(i) == spec_.lateral_stage) lat = x;
    }
    torch::Tensor t = Apply(top_, x, false);
    if (t.is_mkldnn()) t = t.to_dense();
    if (lat.is_mkldnn()) lat = lat.to_dense();
    t = torch::nn::functional::interpolate(t,
                                           torch::nn::functional::InterpolateFuncOptions()
                                               .size(std::vector<int64_t>{lat.size(2), lat.size(3)})
                                               .mode(torch::kNearest));
    torch::Tensor p = Apply(fuse_, Apply(lateral_, lat, false) + t, true);
    torch::Tensor obj = Apply(objectness_, p, false).select(1, 0);  // [N,h,w]
    torch::Tensor cells = Apply(emb2_, Apply(emb1_, p, true), false);
    const int64_t n = cells.size(0), d = cells.size(1);
    torch::Tensor att = torch::softmax(obj.reshape({n, -1}) / attention_temperature, 1);  // [N,hw]
    torch::Tensor emb = torch::bmm(cells.reshape({n, d, -1}), att.unsqueeze(2)).squeeze(2);
    emb =
        torch::nn::functional::normalize(emb, torch::nn::functional::NormalizeFuncOptions().dim(1));
    LogoNetOutput out;
    out.embedding = emb.contiguous();
    out.objectness = obj.contiguous();
    out.cells = cells.contiguous();
    return out;
  } catch (const c10::Error& e) {
    return InternalError(std::string("LogoNet forward failed: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return InternalError(std::string("LogoNet forward failed: ") + e.what());
  }
}

int64_t LogoNet::parameter_count() const {
  int64_t n = 0;
  auto add = [&n](const Conv& c) { n += c.weight.numel() + c.bias.numel(); };
  add(stem_);
  for (const auto& st : stages_) {
    for (const Block& b : st) {
      if (b.has_expand) add(b.expand);
      add(b.depthwise);
      add(b.project);
    }
  }
  for (const Conv* c : {&lateral_, &top_, &fuse_, &objectness_, &emb1_, &emb2_}) add(*c);
  return n;
}

}  // namespace loupe::ml

// ExpactActDropout: activation (linear or relu), dropout and the cast to the next layer's
// dtype in one pass over a float32 or bfloat16 tensor, and its gradient in one pass.
//
// Why a kernel of our own: in a CNN-deep training step on a 2-core CPU the dropout masks
// (one Philox draw per unit, then compare, select, multiply: four ops each way) and the casts
// around the bfloat16 convolutions cost as much as the rest of the non-convolution work
// together. Here the mask is a hash of (seed, element index), so nothing is stored between
// the forward and the backward pass: the gradient recomputes it from the same seed.
//
// The draw: element i takes the 16-bit lane (i % 4) of SplitMix64's output for counter i / 4
// of the stream started at mix(seed); it is dropped when that lane is below `threshold`
// (= round(rate * 65536)); kept units are multiplied by `scale` (= 65536 / (65536 -
// threshold)). toolkit/training/act_dropout.py holds a NumPy reference of the same draw.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/util/work_sharder.h"

namespace {

using tensorflow::int64;

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

inline uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Round-to-nearest-even float -> bfloat16 bits (NaN stays a quiet NaN).
inline uint16_t ToBf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0;
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float FromBf16(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

struct Params {
  uint64_t stream;  // Mix(seed)
  uint32_t threshold;
  float scale;
  bool relu;
};

// Draws of elements [4 * w, 4 * w + 4 * kBlockWords): word w's lanes, low 16 bits first (the
// little-endian view of the words as uint16 is exactly that order).
constexpr int kBlockWords = 64;

// Calls body(base, count, draws) for each block of up to 4 * kBlockWords elements of
// [4 * w0, min(4 * w1, n)), draws[j] being element base + j's. Always inlined, so that the
// loops are compiled for the instruction set of the target_clones caller.
template <typename Body>
__attribute__((always_inline)) inline void ForEachBlock(uint64_t stream, int64 n, int64 w0,
                                                        int64 w1, Body body) {
  uint64_t words[kBlockWords];
  const uint16_t* draws = reinterpret_cast<const uint16_t*>(words);
  for (int64 w = w0; w < w1; w += kBlockWords) {
    for (int j = 0; j < kBlockWords; ++j) {
      words[j] = Mix(stream + static_cast<uint64_t>(w + j + 1) * kGamma);
    }
    const int64 base = 4 * w;
    const int64 end = std::min<int64>({n, 4 * w1, base + 4 * kBlockWords});
    body(base, static_cast<int>(end - base), draws);
  }
}

// A float32 or bfloat16 element as float, and back (bfloat16 rounded to nearest even).
template <bool kBf16>
inline float Load(const void* data, int64 i) {
  return kBf16 ? FromBf16(static_cast<const uint16_t*>(data)[i])
               : static_cast<const float*>(data)[i];
}

template <bool kBf16>
inline void Store(void* data, int64 i, float v) {
  if (kBf16) {
    static_cast<uint16_t*>(data)[i] = ToBf16(v);
  } else {
    static_cast<float*>(data)[i] = v;
  }
}

// Elements [4 * w0, min(4 * w1, n)) of the forward pass: x (bfloat16 if kInBf16) to out
// (bfloat16 if kOutBf16).
template <bool kInBf16, bool kOutBf16>
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void Forward(
    const void* x, void* out, int64 n, int64 w0, int64 w1, Params p) {
  ForEachBlock(p.stream, n, w0, w1, [&](int64 base, int count, const uint16_t* draws) {
    for (int j = 0; j < count; ++j) {
      float v = Load<kInBf16>(x, base + j);
      if (p.relu) v = v > 0.0f ? v : 0.0f;
      Store<kOutBf16>(out, base + j, draws[j] >= p.threshold ? v * p.scale : 0.0f);
    }
  });
}

// The backward pass: dy (the output's dtype) and x to dx (x's dtype).
template <bool kInBf16, bool kOutBf16>
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void Backward(
    const void* dy, const void* x, void* dx, int64 n, int64 w0, int64 w1, Params p) {
  ForEachBlock(p.stream, n, w0, w1, [&](int64 base, int count, const uint16_t* draws) {
    for (int j = 0; j < count; ++j) {
      const float g = Load<kOutBf16>(dy, base + j);
      const bool pass = draws[j] >= p.threshold && (!p.relu || Load<kInBf16>(x, base + j) > 0.0f);
      Store<kInBf16>(dx, base + j, pass ? g * p.scale : 0.0f);
    }
  });
}

}  // namespace

namespace tensorflow {

REGISTER_OP("ExpactActDropout")
    .Input("x: Tx")
    .Input("seed: int64")
    .Output("y: T")
    .Attr("Tx: {float, bfloat16}")
    .Attr("T: {float, bfloat16}")
    .Attr("threshold: int >= 0")
    .Attr("scale: float")
    .Attr("activation: {'linear', 'relu'}")
    .SetShapeFn(shape_inference::UnchangedShape)
    .Doc("activation(x), dropped where the hash of (seed, index) is below threshold.");

REGISTER_OP("ExpactActDropoutGrad")
    .Input("dy: T")
    .Input("x: Tx")
    .Input("seed: int64")
    .Output("dx: Tx")
    .Attr("Tx: {float, bfloat16}")
    .Attr("T: {float, bfloat16}")
    .Attr("threshold: int >= 0")
    .Attr("scale: float")
    .Attr("activation: {'linear', 'relu'}")
    .SetShapeFn(shape_inference::UnchangedShape)
    .Doc("Gradient of ExpactActDropout with respect to x.");

// What the forward and backward kernels share: the attributes, the seed, the output, the
// split across threads; Tx is x's (and dx's) dtype, T the output's (and dy's).
template <typename Tx, typename T>
class ActDropoutBase : public OpKernel {
 public:
  static constexpr bool kIn = std::is_same<Tx, bfloat16>::value;
  static constexpr bool kOut = std::is_same<T, bfloat16>::value;

  explicit ActDropoutBase(OpKernelConstruction* context) : OpKernel(context) {
    int threshold;
    string activation;
    OP_REQUIRES_OK(context, context->GetAttr("threshold", &threshold));
    OP_REQUIRES_OK(context, context->GetAttr("scale", &params_.scale));
    OP_REQUIRES_OK(context, context->GetAttr("activation", &activation));
    OP_REQUIRES(context, threshold < 65536,
                errors::InvalidArgument("threshold must be below 65536, got ", threshold));
    params_.threshold = static_cast<uint32_t>(threshold);
    params_.relu = activation == "relu";
  }

 protected:
  // Checks the scalar seed (input `seed_input`), allocates output 0 in `shape` and sets the
  // draw's parameters; false (with the error set) when something is wrong.
  bool Begin(OpKernelContext* context, int seed_input, const TensorShape& shape, Tensor** out,
             Params* p) {
    const Tensor& seed = context->input(seed_input);
    if (!TensorShapeUtils::IsScalar(seed.shape())) {
      context->SetStatus(errors::InvalidArgument("seed must be a scalar"));
      return false;
    }
    const Status status = context->allocate_output(0, shape, out);
    if (!status.ok()) {
      context->SetStatus(status);
      return false;
    }
    *p = params_;
    p->stream = Mix(static_cast<uint64_t>(seed.scalar<int64>()()));
    return true;
  }

  // Calls work(w0, w1) over the ceil(n / 4) random words, split across TF's CPU threads.
  template <typename Work>
  static void Shard(OpKernelContext* context, int64 n, Work work) {
    const auto* threads = context->device()->tensorflow_cpu_worker_threads();
    const int64 words = (n + 3) / 4;
    tensorflow::Shard(threads->num_threads, threads->workers, words, /*cost_per_unit=*/40,
                      work);
  }

  Params params_;
};

template <typename Tx, typename T>
class ActDropoutOp : public ActDropoutBase<Tx, T> {
 public:
  using Base = ActDropoutBase<Tx, T>;
  using Base::Base;

  void Compute(OpKernelContext* context) override {
    const Tensor& x = context->input(0);
    Tensor* y = nullptr;
    Params p;
    if (!this->Begin(context, 1, x.shape(), &y, &p)) return;
    const int64 n = x.NumElements();
    const void* xp = x.flat<Tx>().data();
    void* yp = y->flat<T>().data();
    Base::Shard(context, n, [&](int64 w0, int64 w1) {
      Forward<Base::kIn, Base::kOut>(xp, yp, n, w0, w1, p);
    });
  }
};

template <typename Tx, typename T>
class ActDropoutGradOp : public ActDropoutBase<Tx, T> {
 public:
  using Base = ActDropoutBase<Tx, T>;
  using Base::Base;

  void Compute(OpKernelContext* context) override {
    const Tensor& dy = context->input(0);
    const Tensor& x = context->input(1);
    OP_REQUIRES(context, dy.shape() == x.shape(),
                errors::InvalidArgument("dy and x must have the same shape"));
    Tensor* dx = nullptr;
    Params p;
    if (!this->Begin(context, 2, x.shape(), &dx, &p)) return;
    const int64 n = x.NumElements();
    const void* dyp = dy.flat<T>().data();
    const void* xp = x.flat<Tx>().data();
    void* dxp = dx->flat<Tx>().data();
    Base::Shard(context, n, [&](int64 w0, int64 w1) {
      Backward<Base::kIn, Base::kOut>(dyp, xp, dxp, n, w0, w1, p);
    });
  }
};

#define REGISTER(Tx, T)                                                              \
  REGISTER_KERNEL_BUILDER(Name("ExpactActDropout")                                   \
                              .Device(DEVICE_CPU)                                    \
                              .TypeConstraint<Tx>("Tx")                              \
                              .TypeConstraint<T>("T"),                               \
                          ActDropoutOp<Tx, T>);                                      \
  REGISTER_KERNEL_BUILDER(Name("ExpactActDropoutGrad")                               \
                              .Device(DEVICE_CPU)                                    \
                              .TypeConstraint<Tx>("Tx")                              \
                              .TypeConstraint<T>("T"),                               \
                          ActDropoutGradOp<Tx, T>);

REGISTER(float, float)
REGISTER(float, bfloat16)
REGISTER(bfloat16, float)
REGISTER(bfloat16, bfloat16)
#undef REGISTER

}  // namespace tensorflow

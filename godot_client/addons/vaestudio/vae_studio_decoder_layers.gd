class_name VaeStudioDecoderLayers
extends RefCounted
## The layers of an exported decoder (protocol/README.md, "The decoder file"), for
## [VaeStudioDecoder]. Each is built once from its record and the file's tensors, precomputing
## whatever its forward pass needs (index tables, weight blocks), so [method Layer.forward] only
## loops over packed arrays. Activations travel as one example's values, a PackedFloat32Array in
## C order: (channels, height, width) maps or flat vectors, as PyTorch holds them.
##
## Speed: dense and convolution layers are matrix-vector products on 4x4 weight blocks: a
## Projection times a Vector4 is 16 multiply-adds in one native call, about 12x faster than a
## scalar GDScript loop over a PackedFloat32Array (the block array is typed, Array[Projection]).
## Convolutions gather their input patches (im2col) through a precomputed index table first;
## transposed ones scatter the products back (col2im). Sums run in float32 like PyTorch's.

const TYPES: PackedStringArray = [
	"linear",
	"conv2d",
	"conv_transpose2d",
	"upsample",
	"batchnorm",
	"layernorm",
	"reshape",
	"crop",
	"relu",
	"leaky_relu",
	"elu",
	"gelu",
	"tanh",
	"sigmoid",
]
const _SQRT_HALF: float = 0.7071067811865476
const _TWO_OVER_SQRT_PI: float = 1.1283791670955126
const _SQRT_PI: float = 1.7724538509055159
const _GELU_TANH_C: float = 0.7978845608028654  # sqrt(2 / pi)


## One layer: [member in_shape] -> [member out_shape] for one example.
class Layer:
	extends RefCounted
	var in_shape: Array[int] = []
	var out_shape: Array[int] = []
	var in_size: int = 0
	var out_size: int = 0

	## The layer's output for one example's values [param x] (which it may change in place).
	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		return x


## y = W x + b on 4x4 blocks.
class Dense:
	extends Layer
	var blocks: Array[Projection] = []
	var bias4: PackedVector4Array = PackedVector4Array()
	var n4: int = 0
	var m4: int = 0

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		var padded: PackedFloat32Array = x
		if in_size != n4 * 4:
			padded = x.duplicate()
			padded.resize(n4 * 4)
		var x4: PackedVector4Array = padded.to_byte_array().to_vector4_array()
		var y4: PackedVector4Array = VaeStudioDecoderLayers.matmul(blocks, bias4, x4, 1, n4, m4)
		var y: PackedFloat32Array = y4.to_byte_array().to_float32_array()
		y.resize(out_size)
		return y


## Conv2d: gather each output position's input patch (zeros where the padding is), multiply by
## the (out_channels, in_channels * kh * kw) weight matrix, then lay the result out as (C, H, W).
class Conv:
	extends Dense
	var gather: PackedInt32Array = PackedInt32Array()
	var positions: int = 0
	var channels: int = 0

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		var source: PackedFloat32Array = x.duplicate()
		source.push_back(0.0)  # index in_size: what padding reads
		var cols: PackedFloat32Array = PackedFloat32Array()
		cols.resize(gather.size())
		for t: int in gather.size():
			cols[t] = source[gather[t]]
		var x4: PackedVector4Array = cols.to_byte_array().to_vector4_array()
		var y4: PackedVector4Array = VaeStudioDecoderLayers.matmul(
			blocks, bias4, x4, positions, n4, m4
		)
		var y: PackedFloat32Array = y4.to_byte_array().to_float32_array()
		var out: PackedFloat32Array = PackedFloat32Array()
		out.resize(out_size)
		var stride: int = m4 * 4  # y is (positions, m4 * 4): one row per output position
		var o: int = 0
		for c: int in channels:
			var s: int = c
			for p: int in positions:
				out[o] = y[s]
				s += stride
				o += 1
		return out


## ConvTranspose2d: each input position's channel vector times the (out_channels * kh * kw,
## in_channels) weight matrix gives its contributions, scattered onto the output (plus bias).
class Deconv:
	extends Dense
	var gather: PackedInt32Array = PackedInt32Array()
	var scatter: PackedInt32Array = PackedInt32Array()
	var positions: int = 0
	## The bias laid out over the output, plus one slot that takes what falls outside it.
	var start: PackedFloat32Array = PackedFloat32Array()

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		var source: PackedFloat32Array = x.duplicate()
		source.push_back(0.0)
		var cols: PackedFloat32Array = PackedFloat32Array()
		cols.resize(gather.size())
		for t: int in gather.size():
			cols[t] = source[gather[t]]
		var x4: PackedVector4Array = cols.to_byte_array().to_vector4_array()
		var y4: PackedVector4Array = VaeStudioDecoderLayers.matmul(
			blocks, bias4, x4, positions, n4, m4
		)
		var y: PackedFloat32Array = y4.to_byte_array().to_float32_array()
		var out: PackedFloat32Array = start.duplicate()
		for t: int in scatter.size():
			var d: int = scatter[t]
			out[d] += y[t]
		out.resize(out_size)
		return out


## Any layer that picks each output value from one input value (crop, nearest upsampling).
class Gather:
	extends Layer
	var table: PackedInt32Array = PackedInt32Array()

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		var out: PackedFloat32Array = PackedFloat32Array()
		out.resize(out_size)
		for t: int in out_size:
			out[t] = x[table[t]]
		return out


## Bilinear upsampling with PyTorch's source indices and weights per row and per column.
class Bilinear:
	extends Layer
	var y0: PackedInt32Array = PackedInt32Array()
	var y1: PackedInt32Array = PackedInt32Array()
	var ly0: PackedFloat32Array = PackedFloat32Array()
	var ly1: PackedFloat32Array = PackedFloat32Array()
	var x0: PackedInt32Array = PackedInt32Array()
	var x1: PackedInt32Array = PackedInt32Array()
	var lx0: PackedFloat32Array = PackedFloat32Array()
	var lx1: PackedFloat32Array = PackedFloat32Array()

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		var out: PackedFloat32Array = PackedFloat32Array()
		out.resize(out_size)
		var w_in: int = in_shape[2]
		var plane: int = in_shape[1] * w_in
		var o: int = 0
		for c: int in out_shape[0]:
			for oy: int in out_shape[1]:
				var r0: int = c * plane + y0[oy] * w_in
				var r1: int = c * plane + y1[oy] * w_in
				var h0: float = ly0[oy]
				var h1: float = ly1[oy]
				for ox: int in out_shape[2]:
					var a: int = x0[ox]
					var b: int = x1[ox]
					var w0: float = lx0[ox]
					var w1: float = lx1[ox]
					out[o] = (
						h0 * (w0 * x[r0 + a] + w1 * x[r0 + b])
						+ h1 * (w0 * x[r1 + a] + w1 * x[r1 + b])
					)
					o += 1
		return out


## Batch norm in eval mode, folded at export: x * scale[c] + shift[c].
class ChannelAffine:
	extends Layer
	var scale: PackedFloat32Array = PackedFloat32Array()
	var shift: PackedFloat32Array = PackedFloat32Array()

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		var per_channel: int = in_size / scale.size()
		var i: int = 0
		for c: int in scale.size():
			var a: float = scale[c]
			var b: float = shift[c]
			for j: int in per_channel:
				x[i] = x[i] * a + b
				i += 1
		return x


## Layer norm over consecutive groups of [member group] values (the whole example, as nets.py
## builds it), then the optional elementwise weight and bias.
class GroupNorm:
	extends Layer
	var group: int = 0
	var eps: float = 1e-5
	var weight: PackedFloat32Array = PackedFloat32Array()
	var bias: PackedFloat32Array = PackedFloat32Array()

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		for g: int in in_size / group:
			var base: int = g * group
			var mean: float = 0.0
			for i: int in group:
				mean += x[base + i]
			mean /= group
			var variance: float = 0.0
			for i: int in group:
				var d: float = x[base + i] - mean
				variance += d * d
			var inv: float = 1.0 / sqrt(variance / group + eps)
			for i: int in group:
				var v: float = (x[base + i] - mean) * inv
				if not weight.is_empty():
					v = v * weight[i] + bias[i]
				x[base + i] = v
		return x


## Elementwise activations.
class Pointwise:
	extends Layer
	var kind: String = "relu"
	var slope: float = 0.0

	func forward(x: PackedFloat32Array) -> PackedFloat32Array:
		var n: int = x.size()
		match kind:
			"relu":
				for i: int in n:
					if x[i] < 0.0:
						x[i] = 0.0
			"leaky_relu":
				for i: int in n:
					if x[i] < 0.0:
						x[i] = x[i] * slope
			"elu":
				for i: int in n:
					if x[i] <= 0.0:
						x[i] = slope * (exp(x[i]) - 1.0)
			"tanh":
				for i: int in n:
					x[i] = tanh(x[i])
			"sigmoid":
				for i: int in n:
					x[i] = 1.0 / (1.0 + exp(-x[i]))
			"gelu":
				for i: int in n:
					x[i] = 0.5 * x[i] * (1.0 + VaeStudioDecoderLayers.erf(x[i] * _SQRT_HALF))
			"gelu_tanh":
				for i: int in n:
					var v: float = x[i]
					x[i] = 0.5 * v * (1.0 + tanh(_GELU_TANH_C * (v + 0.044715 * v * v * v)))
		return x


## out4[r * m4 + j] = bias4[j] + sum over k of blocks[j * n4 + k] * x4[r * n4 + k], for each of
## [param rows] input vectors of n4 Vector4s: the one hot loop of every dense and conv layer.
static func matmul(
	blocks: Array[Projection],
	bias4: PackedVector4Array,
	x4: PackedVector4Array,
	rows: int,
	n4: int,
	m4: int
) -> PackedVector4Array:
	var out4: PackedVector4Array = PackedVector4Array()
	out4.resize(rows * m4)
	var o: int = 0
	for r: int in rows:
		var x_base: int = r * n4
		var w_base: int = 0
		for j: int in m4:
			var acc: Vector4 = bias4[j]
			for k: int in n4:
				acc += blocks[w_base + k] * x4[x_base + k]
			out4[o] = acc
			o += 1
			w_base += n4
	return out4


## The [param rows] x [param cols] matrix W as 4x4 blocks: block (j, k) sits at j * ceil(cols / 4)
## + k and its column c holds W[4j .. 4j + 3, 4k + c] (zeros past the edges). W is read from
## [param w] in C order, or when [param transposed] from w holding W's transpose (cols x rows).
static func pack_blocks(
	w: PackedFloat32Array, rows: int, cols: int, transposed: bool
) -> Array[Projection]:
	var n4: int = (cols + 3) / 4
	var m4: int = (rows + 3) / 4
	var blocks: Array[Projection] = []
	blocks.resize(m4 * n4)
	for j: int in m4:
		for k: int in n4:
			var columns: Array[Vector4] = [Vector4.ZERO, Vector4.ZERO, Vector4.ZERO, Vector4.ZERO]
			for c: int in 4:
				var i: int = 4 * k + c
				if i >= cols:
					break
				for r: int in mini(4, rows - 4 * j):
					var row: int = 4 * j + r
					columns[c][r] = w[i * rows + row] if transposed else w[row * cols + i]
			blocks[j * n4 + k] = Projection(columns[0], columns[1], columns[2], columns[3])
	return blocks


## The values as Vector4s, zero-padded to a multiple of 4.
static func pack4(values: PackedFloat32Array, count: int) -> PackedVector4Array:
	var padded: PackedFloat32Array = values.duplicate()
	padded.resize(((count + 3) / 4) * 4)
	return padded.to_byte_array().to_vector4_array()


## The error function, to double precision: its Taylor series near 0, the continued fraction of
## erfc beyond (GDScript has no erf; GELU needs the exact one).
static func erf(x: float) -> float:
	var a: float = absf(x)
	if a < 2.0:
		var total: float = 0.0
		var power: float = x  # (-1)^n x^(2n + 1) / n!
		for n: int in 60:
			var term: float = power / (2 * n + 1)
			total += term
			if absf(term) < 1e-17 * absf(total):
				break
			power = -power * x * x / (n + 1)
		return _TWO_OVER_SQRT_PI * total
	var f: float = a
	for k: int in range(40, 0, -1):
		f = a + (k * 0.5) / f
	var erfc: float = exp(-a * a) / (_SQRT_PI * f)
	return 1.0 - erfc if x > 0.0 else erfc - 1.0


## [param value] rounded to float32, as PyTorch computes its upsampling indices.
static func f32(value: float) -> float:
	var box: PackedFloat32Array = PackedFloat32Array([value])
	return box[0]


## The whole non-negative numbers of a JSON list ([] when it holds anything else).
static func int_list(value: Variant) -> Array[int]:
	var out: Array[int] = []
	if not value is Array:
		return out
	for v: Variant in value:
		if not (v is float or v is int) or v < 0 or float(v) != floorf(float(v)):
			return []
		out.append(int(v))
	return out


## The layer that record [param entry] describes, with its tensors read from [param file]; null
## when the record or a tensor is bad, with a sentence starting with [param label] appended to
## [param problems].
static func build(
	entry: Dictionary, file: VaeStudioSafetensors, label: String, problems: PackedStringArray
) -> Layer:
	var kind: String = str(entry.get("type", ""))
	if not kind in TYPES:
		problems.append("%s has type '%s'; this decoder runs %s" % [label, kind, ", ".join(TYPES)])
		return null
	var in_shape: Array[int] = int_list(entry.get("in_shape"))
	var out_shape: Array[int] = int_list(entry.get("out_shape"))
	if in_shape.is_empty() or out_shape.is_empty() or in_shape.size() > 3 or out_shape.size() > 3:
		problems.append("%s (%s) needs in_shape and out_shape: 1 to 3 sizes each" % [label, kind])
		return null
	var layer: Layer = null
	match kind:
		"linear":
			layer = _dense(entry, file, in_shape, out_shape)
		"conv2d":
			layer = _conv(entry, file, in_shape, out_shape)
		"conv_transpose2d":
			layer = _deconv(entry, file, in_shape, out_shape)
		"upsample":
			layer = _upsample(entry, in_shape, out_shape)
		"crop":
			layer = _crop(entry, in_shape, out_shape)
		"batchnorm":
			layer = _batchnorm(entry, file, in_shape, out_shape)
		"layernorm":
			layer = _layernorm(entry, file, in_shape, out_shape)
		"reshape":
			layer = Layer.new() if _size(in_shape) == _size(out_shape) else null
		_:
			layer = _pointwise(entry, kind, in_shape, out_shape)
	var why: String = file.error
	if why.is_empty() and layer == null:
		why = (
			"its hyper-parameters, tensors and shapes %s -> %s do not fit together"
			% [str(in_shape), str(out_shape)]
		)
	if not why.is_empty():
		problems.append("%s (%s): %s" % [label, kind, why])
		return null
	layer.in_shape = in_shape
	layer.out_shape = out_shape
	layer.in_size = _size(in_shape)
	layer.out_size = _size(out_shape)
	return layer


static func _size(shape: Array[int]) -> int:
	var n: int = 1
	for s: int in shape:
		n *= s
	return n


## A whole number under [param key], or -1 when it is absent or anything else.
static func _whole(entry: Dictionary, key: String) -> int:
	var list: Array[int] = int_list([entry.get(key)])
	return list[0] if list.size() == 1 else -1


## A key holding [a, b] (or one number meaning [a, a]); [] when absent or bad.
static func _pair(entry: Dictionary, key: String) -> Array[int]:
	var value: Variant = entry.get(key)
	if value is float or value is int:
		value = [value, value]
	var pair: Array[int] = int_list(value)
	return pair if pair.size() == 2 else []


static func _dense(
	entry: Dictionary, file: VaeStudioSafetensors, in_shape: Array[int], out_shape: Array[int]
) -> Dense:
	var n_in: int = _whole(entry, "in")
	var n_out: int = _whole(entry, "out")
	if in_shape != [n_in] or out_shape != [n_out] or n_in < 1 or n_out < 1:
		return null
	var layer := Dense.new()
	_set_weights(layer, entry, file, [n_out, n_in], n_out, n_in, false)
	return layer


## Fills a Dense's blocks from tensor entry.weight (of [param shape]) and its bias; a
## [param transposed] weight (a transposed convolution's) gets its bias added elsewhere.
static func _set_weights(
	layer: Dense,
	entry: Dictionary,
	file: VaeStudioSafetensors,
	shape: Array,
	rows: int,
	cols: int,
	transposed: bool
) -> void:
	var weight: PackedFloat32Array = file.floats(str(entry.get("weight", "")), shape)
	var bias: PackedFloat32Array = PackedFloat32Array()
	bias.resize(rows)
	if entry.get("bias") is String and not transposed:
		bias = file.floats(entry["bias"], [rows])
	if not file.error.is_empty():
		return
	layer.n4 = (cols + 3) / 4
	layer.m4 = (rows + 3) / 4
	layer.blocks = pack_blocks(weight, rows, cols, transposed)
	layer.bias4 = pack4(bias, rows)


## [kernel, stride, padding] pairs of a convolution record, checked against [param in_shape];
## [] when anything is off.
static func _conv_geometry(entry: Dictionary, in_shape: Array[int]) -> Array[Array]:
	var k: Array[int] = _pair(entry, "kernel")
	var s: Array[int] = _pair(entry, "stride")
	var p: Array[int] = _pair(entry, "padding")
	if k.is_empty() or s.is_empty() or p.is_empty() or in_shape.size() != 3:
		return []
	if s.min() < 1 or k.min() < 1 or _whole(entry, "in_channels") != in_shape[0]:
		return []
	return [k, s, p]


static func _conv(
	entry: Dictionary, file: VaeStudioSafetensors, in_shape: Array[int], out_shape: Array[int]
) -> Conv:
	var geometry: Array[Array] = _conv_geometry(entry, in_shape)
	var cout: int = _whole(entry, "out_channels")
	if geometry.is_empty() or cout < 1:
		return null
	var k: Array = geometry[0]
	var s: Array = geometry[1]
	var p: Array = geometry[2]
	var cin: int = in_shape[0]
	var h: int = in_shape[1]
	var w: int = in_shape[2]
	var ho: int = floori(float(h + 2 * p[0] - k[0]) / s[0]) + 1
	var wo: int = floori(float(w + 2 * p[1] - k[1]) / s[1]) + 1
	if out_shape != [cout, ho, wo] or ho < 1 or wo < 1:
		return null
	var layer := Conv.new()
	_set_weights(layer, entry, file, [cout, cin, k[0], k[1]], cout, cin * k[0] * k[1], false)
	layer.positions = ho * wo
	layer.channels = cout
	var width: int = layer.n4 * 4
	var gather: PackedInt32Array = PackedInt32Array()
	gather.resize(ho * wo * width)
	gather.fill(cin * h * w)  # the index of the zero appended to the input: padding
	for oy: int in ho:
		for ox: int in wo:
			var row: int = (oy * wo + ox) * width
			for c: int in cin:
				for ky: int in k[0]:
					var iy: int = oy * s[0] - p[0] + ky
					for kx: int in k[1]:
						var ix: int = ox * s[1] - p[1] + kx
						if iy >= 0 and iy < h and ix >= 0 and ix < w:
							gather[row + (c * k[0] + ky) * k[1] + kx] = (c * h + iy) * w + ix
	layer.gather = gather
	return layer


static func _deconv(
	entry: Dictionary, file: VaeStudioSafetensors, in_shape: Array[int], out_shape: Array[int]
) -> Deconv:
	var geometry: Array[Array] = _conv_geometry(entry, in_shape)
	var op: Array[int] = _pair(entry, "output_padding")
	var cout: int = _whole(entry, "out_channels")
	if geometry.is_empty() or op.is_empty() or cout < 1:
		return null
	var k: Array = geometry[0]
	var s: Array = geometry[1]
	var p: Array = geometry[2]
	var cin: int = in_shape[0]
	var h: int = in_shape[1]
	var w: int = in_shape[2]
	var ho: int = (h - 1) * s[0] - 2 * p[0] + k[0] + op[0]
	var wo: int = (w - 1) * s[1] - 2 * p[1] + k[1] + op[1]
	if out_shape != [cout, ho, wo] or ho < 1 or wo < 1:
		return null
	var layer := Deconv.new()
	var taps: int = cout * k[0] * k[1]  # the matrix's rows: (out channel, ky, kx)
	_set_weights(layer, entry, file, [cin, cout, k[0], k[1]], taps, cin, true)
	var start: PackedFloat32Array = PackedFloat32Array()
	start.resize(cout * ho * wo + 1)  # + one slot for what falls outside the output
	if entry.get("bias") is String:
		var bias: PackedFloat32Array = file.floats(entry["bias"], [cout])
		for c: int in bias.size():
			for i: int in ho * wo:
				start[c * ho * wo + i] = bias[c]
	if not file.error.is_empty():
		return layer
	layer.start = start
	layer.positions = h * w
	var width: int = layer.n4 * 4
	var gather: PackedInt32Array = PackedInt32Array()
	gather.resize(h * w * width)
	gather.fill(cin * h * w)
	for q: int in h * w:
		for c: int in cin:
			gather[q * width + c] = c * h * w + q
	layer.gather = gather
	var rows: int = layer.m4 * 4
	var scatter: PackedInt32Array = PackedInt32Array()
	scatter.resize(h * w * rows)
	scatter.fill(cout * ho * wo)
	for iy: int in h:
		for ix: int in w:
			var base: int = (iy * w + ix) * rows
			for c: int in cout:
				for ky: int in k[0]:
					var oy: int = iy * s[0] - p[0] + ky
					for kx: int in k[1]:
						var ox: int = ix * s[1] - p[1] + kx
						if oy >= 0 and oy < ho and ox >= 0 and ox < wo:
							scatter[base + (c * k[0] + ky) * k[1] + kx] = (c * ho + oy) * wo + ox
	layer.scatter = scatter
	return layer


static func _upsample(entry: Dictionary, in_shape: Array[int], out_shape: Array[int]) -> Layer:
	var scale: Array[int] = _pair(entry, "scale")
	var mode: String = str(entry.get("mode", ""))
	var corners: bool = entry.get("align_corners", false) == true
	if scale.is_empty() or scale.min() < 1 or in_shape.size() != 3:
		return null
	var c: int = in_shape[0]
	var h: int = in_shape[1]
	var w: int = in_shape[2]
	if out_shape != [c, h * scale[0], w * scale[1]]:
		return null
	if mode == "nearest":
		var rows: PackedInt32Array = _nearest(h, h * scale[0], scale[0])
		var cols: PackedInt32Array = _nearest(w, w * scale[1], scale[1])
		var table: PackedInt32Array = PackedInt32Array()
		for ch: int in c:
			for oy: int in rows.size():
				for ox: int in cols.size():
					table.push_back((ch * h + rows[oy]) * w + cols[ox])
		var layer := Gather.new()
		layer.table = table
		return layer
	if mode != "bilinear":
		return null
	var bilinear := Bilinear.new()
	var ys: Array = _linear_axis(h, h * scale[0], scale[0], corners)
	var xs: Array = _linear_axis(w, w * scale[1], scale[1], corners)
	bilinear.y0 = ys[0]
	bilinear.y1 = ys[1]
	bilinear.ly0 = ys[2]
	bilinear.ly1 = ys[3]
	bilinear.x0 = xs[0]
	bilinear.x1 = xs[1]
	bilinear.lx0 = xs[2]
	bilinear.lx1 = xs[3]
	return bilinear


## PyTorch's nearest source index: floor(dst * float32(1 / scale)) in float32, at most n_in - 1
## (not always dst / scale: for scales like 41 the float32 product falls just short).
static func _nearest(n_in: int, n_out: int, scale: int) -> PackedInt32Array:
	var step: float = f32(1.0 / scale)
	var out: PackedInt32Array = PackedInt32Array()
	for i: int in n_out:
		out.push_back(mini(floori(f32(i * step)), n_in - 1))
	return out


## PyTorch's bilinear sources along one axis, in float32 as its CPU kernel computes them:
## [i0, i1 (i0's neighbour, or i0 at the edge), weight of i0, weight of i1] per output index.
static func _linear_axis(n_in: int, n_out: int, scale: int, corners: bool) -> Array:
	var step: float = f32(1.0 / scale)
	if corners:
		step = f32(float(n_in - 1) / (n_out - 1)) if n_out > 1 else 0.0
	var i0: PackedInt32Array = PackedInt32Array()
	var i1: PackedInt32Array = PackedInt32Array()
	var w0: PackedFloat32Array = PackedFloat32Array()
	var w1: PackedFloat32Array = PackedFloat32Array()
	for i: int in n_out:
		var src: float = f32(step * i)
		if not corners:
			src = maxf(f32(f32(step * f32(i + 0.5)) - 0.5), 0.0)
		var lo: int = mini(int(src), n_in - 1)
		var far: float = clampf(f32(src - lo), 0.0, 1.0)
		i0.push_back(lo)
		i1.push_back(lo + 1 if lo < n_in - 1 else lo)
		w1.push_back(far)
		w0.push_back(f32(1.0 - far))
	return [i0, i1, w0, w1]


static func _crop(entry: Dictionary, in_shape: Array[int], out_shape: Array[int]) -> Layer:
	var h: int = _whole(entry, "height")
	var w: int = _whole(entry, "width")
	if in_shape.size() != 3 or h < 1 or w < 1:
		return null
	var c: int = in_shape[0]
	if out_shape != [c, mini(h, in_shape[1]), mini(w, in_shape[2])]:
		return null
	var table: PackedInt32Array = PackedInt32Array()
	for ch: int in c:
		for y: int in out_shape[1]:
			for x: int in out_shape[2]:
				table.push_back((ch * in_shape[1] + y) * in_shape[2] + x)
	var layer := Gather.new()
	layer.table = table
	return layer


static func _batchnorm(
	entry: Dictionary, file: VaeStudioSafetensors, in_shape: Array[int], out_shape: Array[int]
) -> Layer:
	var channels: int = _whole(entry, "channels")
	if in_shape != out_shape or channels != in_shape[0] or in_shape.size() == 2:
		return null
	var layer := ChannelAffine.new()
	layer.scale = file.floats(str(entry.get("scale", "")), [channels])
	layer.shift = file.floats(str(entry.get("shift", "")), [channels])
	return layer


static func _layernorm(
	entry: Dictionary, file: VaeStudioSafetensors, in_shape: Array[int], out_shape: Array[int]
) -> Layer:
	var group: int = _whole(entry, "group")
	var eps: Variant = entry.get("eps")
	if in_shape != out_shape or group < 1 or _size(in_shape) % group != 0:
		return null
	if not (eps is float or eps is int) or eps < 0:
		return null
	var layer := GroupNorm.new()
	layer.group = group
	layer.eps = eps
	if entry.get("weight") is String:
		layer.weight = file.floats(entry["weight"])
		layer.bias.resize(group)
		if entry.get("bias") is String:
			layer.bias = file.floats(entry["bias"])
		if layer.weight.size() != group or layer.bias.size() != group:
			return null
	return layer


static func _pointwise(
	entry: Dictionary, kind: String, in_shape: Array[int], out_shape: Array[int]
) -> Layer:
	if in_shape != out_shape:
		return null
	var layer := Pointwise.new()
	layer.kind = kind
	if kind == "leaky_relu":
		layer.slope = float(entry.get("slope", 0.01))
	elif kind == "elu":
		layer.slope = float(entry.get("alpha", 1.0))  # elu's alpha
	elif kind == "gelu":
		var approximate: String = str(entry.get("approximate", "none"))
		if approximate not in ["none", "tanh"]:
			return null
		layer.kind = "gelu_tanh" if approximate == "tanh" else "gelu"
	return layer

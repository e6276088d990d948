class_name VaeStudioDecoder
extends RefCounted
## A trained VAE Studio decoder that runs in pure GDScript, with no backend and no Python: load
## the godot/decoder.safetensors that `vaestudio export RUN --items godot` (or run.export item
## "godot") writes into the run's folder, then decode latent vectors into images.
##   var decoder := VaeStudioDecoder.load_from("user://decoder.safetensors")
##   if decoder == null:
##       push_error(VaeStudioDecoder.last_error)
##   var pixels: PackedFloat32Array = decoder.decode(PackedFloat32Array([0.5, -1.0]))
##   var picture: Image = decoder.image(PackedFloat32Array([0.5, -1.0]))
## [method decode] returns what the server's `decode` op computes before it scales to 0-255:
## the decoder's mean, in [0, 1] for images, channel-last (row by row, then channel). The file
## format is in protocol/README.md ("The decoder file"); the layers in
## vae_studio_decoder_layers.gd.

## The file format this reader reads.
const FORMAT: String = "vaestudio-decoder"
const FORMAT_VERSION: int = 1
const OUTPUTS: PackedStringArray = ["sigmoid", "clamp01", "identity"]

## Why the last [method load_from] returned null ("" after a successful one).
static var last_error: String = ""

## Why the last [method decode] or [method image] returned nothing ("" when it worked).
var error: String = ""
## z's width: what [method decode] takes.
var latent_dim: int = 0
## Classes of a conditional decoder (a CVAE's): [method decode]'s label picks one. 0 otherwise.
var num_classes: int = 0
## Codes of a VQ-VAE's codebook (z snaps to the nearest before decoding); 0 for other models.
var codebook_size: int = 0
## [height, width, channels] of the images; empty for vector data.
var image_shape: PackedInt32Array = PackedInt32Array()
## Values [method decode] returns (height * width * channels for images).
var output_dim: int = 0
## The model the run trained ("vae", "cvae", "vq_vae", ...) and its likelihood.
var model_name: String = ""
var likelihood: String = ""
## The whole architecture record from the file.
var architecture: Dictionary = {}
var path: String = ""

var _layers: Array[VaeStudioDecoderLayers.Layer] = []
var _codebook: PackedFloat32Array = PackedFloat32Array()
var _output: String = "sigmoid"
## (channels, height, width) -> (height, width, channels) for image decoders; empty otherwise.
var _to_channel_last: PackedInt32Array = PackedInt32Array()


## The decoder in [param file_path], or null when it cannot be used: [member last_error] then
## says why (no file, not a safetensors file, cut short, another format or a newer version, a
## layer type this reader does not know, a tensor that does not fit its layer).
static func load_from(file_path: String) -> VaeStudioDecoder:
	var decoder := VaeStudioDecoder.new()
	decoder.path = file_path
	last_error = decoder._load()
	return null if not last_error.is_empty() else decoder


## True for a conditional decoder (it takes a class label).
func is_conditional() -> bool:
	return num_classes > 0


## True when the decoder draws images ([member image_shape] is set).
func is_image() -> bool:
	return image_shape.size() == 3


## The decoder's mean for latent [param z] ([member latent_dim] values) and, for a conditional
## decoder, class [param label] (-1: class 0, as the server's decode without labels). Empty,
## with [member error] set, when z or the label does not fit.
func decode(z: PackedFloat32Array, label: int = -1) -> PackedFloat32Array:
	error = ""
	if z.size() != latent_dim:
		error = "z has %d values but this decoder takes %d (latent_dim)" % [z.size(), latent_dim]
		return PackedFloat32Array()
	if num_classes > 0 and (label < -1 or label >= num_classes):
		error = (
			"label %d is not a class of this decoder: give -1 or 0 to %d" % [label, num_classes - 1]
		)
		return PackedFloat32Array()
	var x: PackedFloat32Array = _nearest_code(z) if codebook_size > 0 else z.duplicate()
	if num_classes > 0:  # the CVAE's decoder input: z followed by the label's one-hot vector
		x.resize(latent_dim + num_classes)
		x[latent_dim + maxi(label, 0)] = 1.0
	for layer: VaeStudioDecoderLayers.Layer in _layers:
		x = layer.forward(x)
	return _finish(x)


## [method decode] as an Image (L8 grey, LA8, RGB8 or RGBA8 by channel count), each value
## scaled to 0-255 and rounded; null (with [member error] set) for vector data or a bad z.
func image(z: PackedFloat32Array, label: int = -1) -> Image:
	if not is_image():
		error = "this decoder draws %d-value vectors, not images" % output_dim
		return null
	var values: PackedFloat32Array = decode(z, label)
	if values.is_empty():
		return null
	var bytes: PackedByteArray = PackedByteArray()
	bytes.resize(values.size())
	for i: int in values.size():
		bytes[i] = roundi(clampf(values[i], 0.0, 1.0) * 255.0)
	var formats: Array[Image.Format] = [
		Image.FORMAT_L8, Image.FORMAT_LA8, Image.FORMAT_RGB8, Image.FORMAT_RGBA8
	]
	return Image.create_from_data(
		image_shape[1], image_shape[0], false, formats[image_shape[2] - 1], bytes
	)


## A z drawn from the prior N(0, I), its spread scaled by [param temperature].
func random_z(rng: RandomNumberGenerator, temperature: float = 1.0) -> PackedFloat32Array:
	var z: PackedFloat32Array = PackedFloat32Array()
	z.resize(latent_dim)
	for i: int in latent_dim:
		z[i] = rng.randfn(0.0, temperature)
	return z


## Code [param index] of a VQ-VAE's codebook (empty for other models or a bad index).
func code(index: int) -> PackedFloat32Array:
	if index < 0 or index >= codebook_size:
		return PackedFloat32Array()
	return _codebook.slice(index * latent_dim, (index + 1) * latent_dim)


## Reads and checks the file; "" or the reason it cannot be used.
func _load() -> String:
	var file := VaeStudioSafetensors.open(path)
	if not file.error.is_empty():
		return file.error
	if file.metadata.get("format") != FORMAT or not file.metadata.get("vaestudio") is String:
		return (
			(
				"%s is a safetensors file but not a VAE Studio decoder (its metadata has no format %s); "
				+ "export one with `vaestudio export RUN --items godot`"
			)
			% [path, FORMAT]
		)
	var parsed: Variant = JSON.parse_string(file.metadata["vaestudio"])
	if not parsed is Dictionary:
		return "%s: its architecture record (metadata 'vaestudio') is not a JSON map" % path
	architecture = parsed
	var version: int = _count("format_version")
	if version != FORMAT_VERSION:
		return (
			(
				"%s has decoder format version %s; this reader reads version %d (update the addon "
				+ "or export the run again with a matching vaestudio)"
			)
			% [path, str(architecture.get("format_version")).trim_suffix(".0"), FORMAT_VERSION]
		)
	var problem: String = _read_header()
	if problem.is_empty():
		problem = _read_layers(file)
	return "" if problem.is_empty() else "%s: %s" % [path, problem]


func _read_header() -> String:
	latent_dim = _count("latent_dim")
	num_classes = _count("num_classes") if architecture.get("conditional") == true else 0
	output_dim = _count("output_dim")
	model_name = str(architecture.get("model", ""))
	likelihood = str(architecture.get("likelihood", ""))
	_output = str(architecture.get("output", ""))
	var shape: Array[int] = VaeStudioDecoderLayers.int_list(architecture.get("image_shape"))
	if latent_dim < 1 or num_classes < 0 or output_dim < 1:
		return "latent_dim, num_classes and output_dim must be whole numbers (latent_dim >= 1)"
	if not _output in OUTPUTS:
		return "output '%s' is not one of %s" % [_output, ", ".join(OUTPUTS)]
	if not shape.is_empty():
		if shape.size() != 3 or shape[0] * shape[1] * shape[2] != output_dim or shape[2] > 4:
			return (
				"image_shape %s is not [height, width, 1 to 4 channels] of %d values"
				% [str(shape), output_dim]
			)
		image_shape = PackedInt32Array(shape)
	return ""


func _read_layers(file: VaeStudioSafetensors) -> String:
	var records: Variant = architecture.get("layers")
	if not records is Array:
		return "the architecture has no layer list"
	var problems: PackedStringArray = PackedStringArray()
	var size: int = latent_dim + num_classes
	for i: int in (records as Array).size():
		var label: String = "layer %d" % i
		var record: Dictionary = records[i] if records[i] is Dictionary else {}
		var layer: VaeStudioDecoderLayers.Layer = VaeStudioDecoderLayers.build(
			record, file, label, problems
		)
		if layer == null:
			return problems[0]
		if layer.in_size != size:
			return "%s takes %d values but gets %d" % [label, layer.in_size, size]
		size = layer.out_size
		_layers.append(layer)
	if size != output_dim:
		return "the layers end with %d values but output_dim is %d" % [size, output_dim]
	return _read_codebook(file)


## A VQ-VAE's codebook (K, latent_dim), when the architecture names one.
func _read_codebook(file: VaeStudioSafetensors) -> String:
	var codebook: Variant = architecture.get("codebook")
	if codebook is String:
		_codebook = file.floats(codebook)
		codebook_size = _codebook.size() / latent_dim
		if _codebook.is_empty() or file.shape_of(codebook) != [codebook_size, latent_dim]:
			return "the codebook must be an F32 tensor of shape [codes, %d]" % latent_dim
	return _output_layout()


## Image decoders whose body ends on a (channels, height, width) map ("body_output": "chw") get
## a permutation into the data's channel-last layout, as nets.from_image does.
func _output_layout() -> String:
	var body: String = str(architecture.get("body_output", "flat"))
	if body == "flat":
		return ""
	var last: Array[int] = _layers[-1].out_shape if not _layers.is_empty() else []
	if body != "chw" or not is_image() or last != [image_shape[2], image_shape[0], image_shape[1]]:
		return "body_output '%s' does not fit image_shape %s" % [body, str(image_shape)]
	var h: int = image_shape[0]
	var w: int = image_shape[1]
	var c: int = image_shape[2]
	for y: int in h:
		for x: int in w:
			for ch: int in c:
				_to_channel_last.push_back((ch * h + y) * w + x)
	return ""


func _count(key: String) -> int:
	var list: Array[int] = VaeStudioDecoderLayers.int_list([architecture.get(key)])
	return list[0] if list.size() == 1 else -1


## The codebook row nearest to z (Euclidean; the first of equals, as torch's argmin).
func _nearest_code(z: PackedFloat32Array) -> PackedFloat32Array:
	var best: int = 0
	var best_distance: float = INF
	for k: int in codebook_size:
		var distance: float = 0.0
		var base: int = k * latent_dim
		for i: int in latent_dim:
			var d: float = z[i] - _codebook[base + i]
			distance += d * d
		if distance < best_distance:
			best_distance = distance
			best = k
	return code(best)


## The last layer's values -> the decoder's mean, channel-last.
func _finish(x: PackedFloat32Array) -> PackedFloat32Array:
	var out: PackedFloat32Array = x
	if not _to_channel_last.is_empty():
		out = PackedFloat32Array()
		out.resize(output_dim)
		for i: int in output_dim:
			out[i] = x[_to_channel_last[i]]
	match _output:
		"sigmoid":
			for i: int in output_dim:
				out[i] = 1.0 / (1.0 + exp(-out[i]))
		"clamp01":
			for i: int in output_dim:
				out[i] = clampf(out[i], 0.0, 1.0)
	return out

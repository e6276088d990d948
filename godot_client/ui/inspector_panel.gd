class_name InspectorPanel
extends PanelContainer
## The decoded image under the pointer, large and crisp (nearest filtering), with its z. When the
## live model is conditional, a class selector picks the label every decode carries, and changing
## it decodes the same z again in the new class. A data point picked on the latent view shows its
## original beside its reconstruction (the decode of its μ), its μ and σ per dimension and its
## loss; the next decode of the plane brings the single image back.

const MAX_DIMS_SHOWN: int = 8
## Dimensions of a data point listed one a line; the rest are a compact bar of |μ|.
const POINT_DIMS_LISTED: int = 4
## A data point's two frames, each this share of the single image's frame.
const POINT_FRAME_SHARE: float = 0.7
const BARS: String = "▁▂▃▄▅▆▇█"

## The decoded image's frame, and a data point's two (StudioLayout sizes them to the window).
var _frame_size := Vector2(176, 176)
var _point_frame_size := Vector2(124, 124)
var _texture: ImageTexture
var _original_texture: ImageTexture

@onready var _frame: PanelContainer = $Columns/ImageFrame
@onready var _caption: Label = $Columns/ImageFrame/Caption
@onready var _original_frame: PanelContainer = $Columns/OriginalFrame
@onready var _original_rect: TextureRect = $Columns/OriginalFrame/Image
@onready var _original_text: Label = $Columns/OriginalFrame/Placeholder
@onready var _image_rect: TextureRect = $Columns/ImageFrame/Image
@onready var _placeholder: Label = $Columns/ImageFrame/Placeholder
@onready var _heading: Label = $Columns/Info/Heading
@onready var _z_label: Label = $Columns/Info/Z
@onready var _class_row: HBoxContainer = $Columns/Info/ClassRow
@onready var _class_spin: SpinBox = $Columns/Info/ClassRow/ClassSpin
@onready var _class_swatch: ColorRect = $Columns/Info/ClassRow/ClassSwatch
@onready var _class_hint: Label = $Columns/Info/ClassRow/ClassHint
@onready var _detail: Label = $Columns/Info/Detail


func _ready() -> void:
	StudioSession.decode_finished.connect(_on_decode_finished)
	StudioSession.status_received.connect(_on_status_received)
	StudioSession.data_point_received.connect(_on_data_point_received)
	_class_spin.value_changed.connect(_on_class_changed)
	_z_label.text = "z = —"
	_detail.text = "Press or drag the left button on the latent plane to decode that point."
	_on_status_received(StudioSession.status)


## The control that shows the decoded image.
func image_view() -> Control:
	return _image_rect


## The image on show (the decode, or a data point's reconstruction), or null before one.
func shown_image() -> Image:
	return _texture.get_image() if _texture != null and _image_rect.texture == _texture else null


## Sizes the decoded image's square frame to `side` pixels (a data point's two frames to
## [constant POINT_FRAME_SHARE] of it each).
func set_frame_size(side: float) -> void:
	_frame_size = Vector2(side, side)
	_point_frame_size = (_frame_size * POINT_FRAME_SHARE).round()
	_show_point_layout(_original_frame.visible)


## The control that shows the data point's original.
func original_view() -> Control:
	return _original_rect


## Picks the class label of conditional decodes, exactly as the selector does.
func select_class(label: int) -> void:
	_class_spin.value = label


func _on_status_received(_status: Dictionary) -> void:
	var conditional: bool = StudioSession.is_conditional()
	_class_row.visible = conditional
	if not conditional:
		return
	var classes: int = StudioSession.num_classes()
	_class_spin.max_value = classes - 1
	_class_hint.text = "of 0–%d" % (classes - 1)
	_class_swatch.color = StudioPalette.label_color(roundi(_class_spin.value))


func _on_class_changed(value: float) -> void:
	var label: int = roundi(value)
	_class_swatch.color = StudioPalette.label_color(label)
	StudioSession.set_decode_label(label)


func _on_decode_finished(z: PackedFloat32Array, image: Image) -> void:
	_show_point_layout(false)
	_z_label.text = describe_z(z)
	var latency: int = roundi(StudioSession.decode_latency_ms)
	if image == null:
		# Vector data: the decoded point is a few numbers, shown as words, not a picture.
		_image_rect.texture = null
		_placeholder.visible = true
		_placeholder.text = "vector data"
		_heading.text = "Decoded point"
		var values: PackedFloat32Array = StudioSession.decoded_values
		_detail.text = (
			"%s\n%d values · round trip %d ms" % [describe_values(values), values.size(), latency]
		)
		return
	_texture = _updated(_texture, image)
	_image_rect.texture = _texture
	_placeholder.visible = false
	var label: int = StudioSession.decoded_label
	_heading.text = "Decoded image" if label < 0 else "Decoded image · class %d" % label
	_detail.text = (
		"%d×%d image · round trip %d ms" % [image.get_width(), image.get_height(), latency]
	)
	_detail.tooltip_text = ""


func _on_data_point_received(point: StudioDataPoint) -> void:
	_show_point_layout(true)
	var label: String = "" if point.label < 0 else " · label %d" % point.label
	_heading.text = "Data row %d%s" % [point.row, label]
	if not point.error.is_empty():
		_z_label.text = ""
		_detail.text = "Could not fetch row %d: %s" % [point.row, point.error]
		return
	_z_label.text = describe_posterior(point.mu, point.sigma())
	# Two short lines, so the panel keeps its height; the long form is the tooltip.
	var error_kind: String = "pixel MSE (0–1)" if point.is_image() else "MSE of the values"
	_detail.text = "recon MSE %.4f · KL %.2f nats" % [point.recon_error(), point.kl()]
	_detail.tooltip_text = (
		(
			"Reconstruction error: %s between the row (left) and decode(μ) (right). KL(q(z|x) ‖ N(0, I))"
			% error_kind
		)
		+ " of the row's posterior, in nats."
	)
	if point.is_image():
		_original_texture = _updated(_original_texture, point.original)
		_original_rect.texture = _original_texture
		_original_text.text = ""
		if point.reconstruction != null:
			_texture = _updated(_texture, point.reconstruction)
			_image_rect.texture = _texture
			_placeholder.visible = false
		return
	_original_rect.texture = null
	_image_rect.texture = null
	_original_text.text = describe_values(point.original_values).replace(", ", ",\n")
	_placeholder.visible = true
	_placeholder.text = describe_values(point.reconstruction_values).replace(", ", ",\n")


## Two frames side by side (original, reconstruction) for a data point; one large otherwise.
func _show_point_layout(point: bool) -> void:
	_original_frame.visible = point
	_caption.visible = point
	_frame.custom_minimum_size = _point_frame_size if point else _frame_size
	_original_frame.custom_minimum_size = _point_frame_size
	if not point:
		_placeholder.text = "no image yet" if _image_rect.texture == null else ""


static func _updated(texture: ImageTexture, image: Image) -> ImageTexture:
	if texture != null and Vector2i(texture.get_size()) == image.get_size():
		if texture.get_format() == image.get_format():
			texture.update(image)
			return texture
	return ImageTexture.create_from_image(image)


## μ and σ of the first dims, one a line ("z0 μ+0.12 σ0.31"), then a bar of |μ| for the rest.
static func describe_posterior(mu: PackedFloat32Array, sigma: PackedFloat32Array) -> String:
	var lines: PackedStringArray = []
	for d in mini(mu.size(), POINT_DIMS_LISTED):
		lines.append("z%d μ%+.2f σ%.2f" % [d, mu[d], sigma[d]])
	if mu.size() > POINT_DIMS_LISTED:
		var bar: String = ""
		for d in range(POINT_DIMS_LISTED, mini(mu.size(), POINT_DIMS_LISTED + 24)):
			var level: int = clampi(floori(absf(mu[d]) / 3.0 * BARS.length()), 0, BARS.length() - 1)
			bar += BARS[level]
		lines.append("|μ| z%d–z%d %s" % [POINT_DIMS_LISTED, mu.size() - 1, bar])
	return "\n".join(lines)


## The first dims of `z`, two a line ("z0 +0.120   z1 -0.400"), and how many more there are.
static func describe_z(z: PackedFloat32Array) -> String:
	var lines: PackedStringArray = []
	for i in range(0, mini(z.size(), MAX_DIMS_SHOWN), 2):
		var line: String = "z%d %+.3f" % [i, z[i]]
		if i + 1 < z.size():
			line += "   z%d %+.3f" % [i + 1, z[i + 1]]
		lines.append(line)
	if z.size() > MAX_DIMS_SHOWN:
		lines.append("… and z%d–z%d (%d dims in all)" % [MAX_DIMS_SHOWN, z.size() - 1, z.size()])
	return "\n".join(lines)


## A decoded point of vector data in words: "x = (0.52, -0.31)", the first values of a long one.
static func describe_values(values: PackedFloat32Array) -> String:
	var parts: PackedStringArray = []
	for i in mini(values.size(), MAX_DIMS_SHOWN):
		parts.append("%.2f" % values[i])
	var more: String = ", …" if values.size() > MAX_DIMS_SHOWN else ""
	return "x = (%s%s)" % [", ".join(parts), more]

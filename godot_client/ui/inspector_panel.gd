class_name InspectorPanel
extends PanelContainer
## The decoded image under the pointer, large and crisp (nearest filtering), with its z. When the
## live model is conditional, a class selector picks the label every decode carries, and changing
## it decodes the same z again in the new class.

const MAX_DIMS_SHOWN: int = 8

var _texture: ImageTexture

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
	_class_spin.value_changed.connect(_on_class_changed)
	_z_label.text = "z = —"
	_detail.text = "Press or drag the left button on the latent plane to decode that point."
	_on_status_received(StudioSession.status)


## The control that shows the decoded image.
func image_view() -> Control:
	return _image_rect


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
	if _texture != null and Vector2i(_texture.get_size()) == image.get_size():
		if _texture.get_format() == image.get_format():
			_texture.update(image)
		else:
			_texture = ImageTexture.create_from_image(image)
	else:
		_texture = ImageTexture.create_from_image(image)
	_image_rect.texture = _texture
	_placeholder.visible = false
	var label: int = StudioSession.decoded_label
	_heading.text = "Decoded image" if label < 0 else "Decoded image · class %d" % label
	_detail.text = (
		"%d×%d image · round trip %d ms" % [image.get_width(), image.get_height(), latency]
	)


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

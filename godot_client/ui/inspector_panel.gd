class_name InspectorPanel
extends PanelContainer
## The decoded image under the pointer, large and crisp (nearest filtering), with its z.

const MAX_DIMS_SHOWN: int = 8

var _texture: ImageTexture

@onready var _image_rect: TextureRect = $Columns/ImageFrame/Image
@onready var _placeholder: Label = $Columns/ImageFrame/Placeholder
@onready var _z_label: Label = $Columns/Info/Z
@onready var _detail: Label = $Columns/Info/Detail


func _ready() -> void:
	StudioSession.decode_finished.connect(_on_decode_finished)
	_z_label.text = "z = —"
	_detail.text = "Press or drag the left button on the latent plane to decode that point."


## The control that shows the decoded image.
func image_view() -> Control:
	return _image_rect


func _on_decode_finished(z: PackedFloat32Array, image: Image) -> void:
	if _texture != null and Vector2i(_texture.get_size()) == image.get_size():
		if _texture.get_format() == image.get_format():
			_texture.update(image)
		else:
			_texture = ImageTexture.create_from_image(image)
	else:
		_texture = ImageTexture.create_from_image(image)
	_image_rect.texture = _texture
	_placeholder.visible = false
	var lines: PackedStringArray = []
	for i in range(0, mini(z.size(), MAX_DIMS_SHOWN), 2):
		var line: String = "z%d %+.3f" % [i, z[i]]
		if i + 1 < z.size():
			line += "   z%d %+.3f" % [i + 1, z[i + 1]]
		lines.append(line)
	if z.size() > MAX_DIMS_SHOWN:
		lines.append("z%d…z%d  0" % [MAX_DIMS_SHOWN, z.size() - 1])
	_z_label.text = "\n".join(lines)
	_detail.text = (
		"%d×%d image · round trip %d ms"
		% [image.get_width(), image.get_height(), roundi(StudioSession.decode_latency_ms)]
	)

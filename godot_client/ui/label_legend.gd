class_name LabelLegend
extends PanelContainer
## The colour key of the latent points: one swatch per digit label, one for unlabelled data, or
## the continuous ramp with its lowest and highest value when points are coloured by a value.

var _ramp_mode: bool = false
var _ramp_texture: GradientTexture1D

@onready var _rows: GridContainer = $Rows


func _ready() -> void:
	show_labels(true)


## Rebuilds the key for labelled (digits 0–9) or unlabelled data.
func show_labels(labelled: bool) -> void:
	var wanted: int = StudioPalette.LABELS.size() if labelled else 1
	if not _ramp_mode and _rows.get_child_count() == wanted * 2:
		return
	_ramp_mode = false
	_clear()
	# Two rows of five swatch + label pairs.
	_rows.columns = 10 if labelled else 2
	for i in wanted:
		var swatch := ColorRect.new()
		swatch.custom_minimum_size = Vector2(10.0, 10.0)
		swatch.size_flags_vertical = Control.SIZE_SHRINK_CENTER
		swatch.color = StudioPalette.label_color(i if labelled else -1)
		swatch.mouse_filter = Control.MOUSE_FILTER_IGNORE
		_rows.add_child(swatch)
		_rows.add_child(_text(str(i) if labelled else "unlabelled"))


## Shows the ramp: "`what`  low [ramp] high", e.g. "loss  81.2 ▭ 164.0".
func show_ramp(what: String, low: float, high: float) -> void:
	if not _ramp_mode:
		_ramp_mode = true
		_clear()
		_rows.columns = 4
		if _ramp_texture == null:
			_ramp_texture = StudioPalette.make_ramp_texture()
		_rows.add_child(_text(""))
		_rows.add_child(_text(""))
		var ramp := TextureRect.new()
		ramp.texture = _ramp_texture
		ramp.expand_mode = TextureRect.EXPAND_IGNORE_SIZE
		ramp.stretch_mode = TextureRect.STRETCH_SCALE
		ramp.custom_minimum_size = Vector2(90.0, 10.0)
		ramp.size_flags_vertical = Control.SIZE_SHRINK_CENTER
		ramp.mouse_filter = Control.MOUSE_FILTER_IGNORE
		_rows.add_child(ramp)
		_rows.add_child(_text(""))
	(_rows.get_child(0) as Label).text = what
	(_rows.get_child(1) as Label).text = _number(low)
	(_rows.get_child(3) as Label).text = _number(high)


func _clear() -> void:
	for child in _rows.get_children():
		_rows.remove_child(child)
		child.queue_free()


static func _text(text: String) -> Label:
	var label := Label.new()
	label.text = text
	label.add_theme_font_size_override("font_size", 12)
	label.mouse_filter = Control.MOUSE_FILTER_IGNORE
	return label


static func _number(value: float) -> String:
	return String.num(value, 1 if absf(value) >= 10.0 else 2)

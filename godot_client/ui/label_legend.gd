class_name LabelLegend
extends PanelContainer
## The colour key of the latent points: one swatch per class, one for unlabelled data, or
## the continuous ramp with its lowest and highest value when points are coloured by a value.

## Classes the key names one by one (four rows of five).
const MAX_SWATCHES: int = 20

var _ramp_mode: bool = false
## Whether the last frame had labels (the key follows each status with it).
var _labelled: bool = true
## What the swatches show now ("0|1|2…"), so a new frame of the same data set rebuilds nothing.
var _key: String = ""
var _ramp_texture: GradientTexture1D

@onready var _rows: GridContainer = $Rows


func _ready() -> void:
	show_labels(true)
	# The classes are the live data set's: a new run's status (another data set) rebuilds the
	# key at once, even while paused, when no new frame comes to do it.
	StudioSession.status_received.connect(_on_status_received)


func _on_status_received(_status: Dictionary) -> void:
	if not _ramp_mode:
		show_labels(_labelled)


## Rebuilds the key for labelled or unlabelled data: one swatch per class of the live data set,
## named by its own class names (image folders, CSV text labels) when it has them. Past
## MAX_SWATCHES classes the key ends in "+N more" (their points keep their own colours; a hover
## names them).
func show_labels(labelled: bool) -> void:
	_labelled = labelled
	var names: PackedStringArray = _class_names() if labelled else PackedStringArray(["unlabelled"])
	var key: String = "|".join(names)
	if not _ramp_mode and _key == key:
		return
	_ramp_mode = false
	_key = key
	_clear()
	var shown: int = mini(names.size(), MAX_SWATCHES)
	# Rows of up to five swatch + name pairs.
	_rows.columns = maxi(mini(shown, 5) * 2, 2) if labelled else 2
	for i in shown:
		var swatch := ColorRect.new()
		swatch.custom_minimum_size = Vector2(10.0, 10.0)
		swatch.size_flags_vertical = Control.SIZE_SHRINK_CENTER
		swatch.color = StudioPalette.label_color(i if labelled else -1)
		swatch.mouse_filter = Control.MOUSE_FILTER_IGNORE
		_rows.add_child(swatch)
		_rows.add_child(_text(names[i]))
	if names.size() > shown:
		_rows.add_child(_text(""))
		_rows.add_child(_text("+%d more" % (names.size() - shown)))


## The live data set's class names, or its class ids when it has no names; none before the
## first status, and 0–9 from a backend whose status names no classes.
static func _class_names() -> PackedStringArray:
	var dataset: Variant = StudioSession.status.get("dataset")
	var names := PackedStringArray()
	if StudioSession.status.is_empty():
		return names
	if dataset is Dictionary:
		var given: Variant = (dataset as Dictionary).get("class_names")
		if given is Array:
			for name: Variant in given:
				names.append(str(name))
			return names
		var count: Variant = (dataset as Dictionary).get("num_classes")
		if typeof(count) in [TYPE_INT, TYPE_FLOAT] and int(count) > 0:
			for i in int(count):
				names.append(str(i))
			return names
	for i in StudioPalette.LABELS.size():
		names.append(str(i))
	return names


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

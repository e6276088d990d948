class_name UseCaseStyleAttribute
extends VBoxContainer
## An attribute vector (`attribute`): the mean μ of one class's training rows minus another's.
## A slider adds t·vector (t from −2 to 2) to the z on show (the last picked row's μ, else the
## studio's current z) and the sum is decoded live, beside the z itself.

## The vector arrived (or failed: [member error] says why).
signal vector_shown(ok: bool)
## A decode of z + t·vector is on show.
signal decode_shown

## The vector from the last reply, [Z] (empty before one), its length and the rows averaged.
var vector := PackedFloat32Array()
var norm: float = 0.0
var counts: Array = []
## The z the slider starts from, and t.
var base_z := PackedFloat32Array()
var t: float = 0.0
## The cells on show: z and z + t·vector (Images, or text for vector data; [] before a decode).
var cells: Array = []
var decodes_shown: int = 0
var error: String = ""
## Controls, for drivers and tests.
var from_option: OptionButton
var to_option: OptionButton
var slider: HSlider
var tiles: UseCaseTiles

var _summary: Label
var _value: Label
var _message: Label
var _decode_busy: bool = false
var _decode_again: bool = false


func _ready() -> void:
	_summary = DashboardSection.add_header(self, "Attribute vector")
	var choose := HBoxContainer.new()
	add_child(choose)
	from_option = _class_option(choose, "from")
	to_option = _class_option(choose, "to")
	var row := HBoxContainer.new()
	add_child(row)
	var caption := Label.new()
	caption.text = "t"
	caption.theme_type_variation = &"DimLabel"
	row.add_child(caption)
	slider = HSlider.new()
	slider.min_value = -2.0
	slider.max_value = 2.0
	slider.step = 0.05
	slider.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	slider.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	slider.tooltip_text = "Decodes z + t · (mean μ of 'to' − mean μ of 'from')"
	slider.value_changed.connect(_on_t_changed)
	row.add_child(slider)
	_value = Label.new()
	_value.theme_type_variation = &"MonoLabel"
	_value.custom_minimum_size = Vector2(44, 0)
	row.add_child(_value)
	tiles = UseCaseTiles.new()
	tiles.size_flags_vertical = Control.SIZE_EXPAND_FILL
	tiles.custom_minimum_size = Vector2(160, 90)
	add_child(tiles)
	_message = Label.new()
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_message)
	_on_t_changed(0.0)
	StudioSession.status_received.connect(_on_status)
	StudioSession.data_point_received.connect(_on_data_point)
	# Before the studio's first decode there is no z to start from: decode once it is in.
	StudioSession.decode_finished.connect(_on_studio_decode)


## Asks for the vector from class `from_label` to class `to_label` (as the menus do).
func choose(from_label: int, to_label: int) -> void:
	from_option.select(from_label)
	to_option.select(to_label)
	refresh()


func refresh() -> void:
	if not StudioSession.connected:
		return
	var args: Dictionary = {
		"from_label": from_option.get_selected_id(), "to_label": to_option.get_selected_id()
	}
	StudioSession.send("attribute", args, _on_reply)


## z + t·vector, or `z` itself when the widths differ.
static func shifted(
	z: PackedFloat32Array, attr: PackedFloat32Array, by: float
) -> PackedFloat32Array:
	var out: PackedFloat32Array = z.duplicate()
	if attr.size() != z.size():
		return out
	for d in out.size():
		out[d] += by * attr[d]
	return out


## An `attribute` reply as {"vector" [Z], "norm", "counts" [n_from, n_to], "error"}.
static func vector_from(result: Dictionary) -> Dictionary:
	var out: Dictionary = {"vector": PackedFloat32Array(), "norm": 0.0, "counts": [], "error": ""}
	var arr: Variant = result.get("vector")
	if not arr is Dictionary or not VaeStudioArray.validate(arr).is_empty():
		out["error"] = "the attribute reply carried no vector"
		return out
	out["vector"] = VaeStudioArray.to_float32(arr)
	out["norm"] = float(result.get("norm", 0.0))
	var given: Variant = result.get("counts")
	out["counts"] = given if given is Array else []
	return out


func _on_reply(request: VaeStudioRequest) -> void:
	var got: Dictionary = vector_from(request.result()) if request.is_ok() else {}
	error = (
		str(got.get("error", "")) if request.is_ok() else StudioSession.describe_failure(request)
	)
	if not error.is_empty():
		vector = PackedFloat32Array()
		UseCaseStyleTiles.set_message(_message, "attribute failed — %s" % error, true)
		vector_shown.emit(false)
		return
	vector = got["vector"]
	norm = got["norm"]
	counts = got["counts"]
	var rows: String = ""
	if counts.size() == 2:
		rows = " · means of %d and %d training rows" % [int(counts[0]), int(counts[1])]
	_summary.text = "|v| = %.2f%s" % [norm, rows]
	UseCaseStyleTiles.set_message(_message, "v = mean μ of 'to' − mean μ of 'from'")
	vector_shown.emit(true)
	_decode()


func _on_t_changed(value: float) -> void:
	t = value
	_value.text = "%+.2f" % t
	_decode()


## Decodes z and z + t·vector in one request; a newer wish waits for the reply in flight.
func _decode() -> void:
	if vector.is_empty():
		return
	if _decode_busy:
		_decode_again = true
		return
	if base_z.size() != vector.size():
		base_z = StudioSession.current_z
	if base_z.size() != vector.size():
		return
	var both: PackedFloat32Array = base_z.duplicate()
	both.append_array(shifted(base_z, vector, t))
	_decode_busy = true
	_decode_again = false
	# A conditional model draws both as the 'from' class: the vector changes the style only.
	var label: int = from_option.get_selected_id() if StudioSession.is_conditional() else -1
	StudioSession.send("decode", StudioSession.decode_args(both, 2, label), _on_decoded)


func _on_decoded(request: VaeStudioRequest) -> void:
	_decode_busy = false
	if request.is_ok():
		var result: Dictionary = request.result()
		cells = UseCaseTiles.cells_of(result.get("images", result.get("values")))
		var titles := PackedStringArray(["z", "z %+.2f·v" % t])
		var caption: String = (
			"%s → %s"
			% [
				from_option.get_item_text(from_option.selected),
				to_option.get_item_text(to_option.selected)
			]
		)
		tiles.set_rows(titles, [{"cells": cells, "caption": caption}] as Array[Dictionary])
		decodes_shown += 1
		decode_shown.emit()
	else:
		error = "decode failed — %s" % StudioSession.describe_failure(request)
		UseCaseStyleTiles.set_message(_message, error, true)
	if _decode_again:
		_decode()


func _class_option(parent: Control, caption_text: String) -> OptionButton:
	var caption := Label.new()
	caption.text = caption_text
	caption.theme_type_variation = &"DimLabel"
	parent.add_child(caption)
	var option := OptionButton.new()
	option.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	option.item_selected.connect(func(_i: int) -> void: refresh())
	parent.add_child(option)
	return option


## The menus list the data set's classes (again when they changed); the first status asks for
## the vector from the first class to the second.
func _on_status(_status: Dictionary) -> void:
	var names: PackedStringArray = UseCaseStyleTiles.class_names()
	if names.size() == from_option.item_count:
		return
	for option: OptionButton in [from_option, to_option]:
		option.clear()
		for i in names.size():
			option.add_item(names[i], i)
	if names.size() < 2:
		UseCaseStyleTiles.set_message(_message, "Attribute vectors need labelled data.")
		return
	to_option.select(1)
	vector = PackedFloat32Array()
	refresh()


func _on_studio_decode(_z: PackedFloat32Array, _image: Image) -> void:
	if cells.is_empty():
		_decode()


## The slider starts from a picked row's μ.
func _on_data_point(point: StudioDataPoint) -> void:
	if point.error.is_empty() and not point.mu.is_empty():
		base_z = point.mu
		_decode()

class_name UseCaseStyleAnalogy
extends VBoxContainer
## An analogy of any model (`analogy`): rows a, b, c, shown as a : b :: c : result, where the
## result decodes z = μ_c + (μ_b − μ_a). The rows are typed, or picked in the latent view one
## after another (each pick fills the next of a, b, c).

## An analogy drawn; when `ok` is false [member error] says why.
signal analogy_shown(ok: bool)

const SLOTS: Array[String] = ["a", "b", "c"]

## The rows a, b, c.
var rows := PackedInt32Array([0, 1, 2])
## What is shown: analogy_from() of the last reply ({} before one).
var shown: Dictionary = {}
var error: String = ""
var analogies_drawn: int = 0
## The rows input and the tiles (one row: a, b, c, result), for drivers and tests.
var rows_edit: LineEdit
var tiles: UseCaseTiles

var _next_slot: int = 0
var _asked: bool = false
var _summary: Label
var _message: Label


func _ready() -> void:
	_summary = DashboardSection.add_header(self, "Analogy  a : b :: c : ?")
	var controls := HBoxContainer.new()
	add_child(controls)
	var caption := Label.new()
	caption.text = "rows a, b, c"
	caption.theme_type_variation = &"DimLabel"
	controls.add_child(caption)
	rows_edit = LineEdit.new()
	rows_edit.custom_minimum_size = Vector2(120, 0)
	rows_edit.tooltip_text = "Three data-set rows; picks in the latent view fill a, b, c in turn"
	rows_edit.text_submitted.connect(_on_rows_submitted)
	controls.add_child(rows_edit)
	tiles = UseCaseTiles.new()
	tiles.size_flags_vertical = Control.SIZE_EXPAND_FILL
	tiles.custom_minimum_size = Vector2(200, 90)
	add_child(tiles)
	_message = Label.new()
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_message)
	_show_rows()
	StudioSession.data_point_received.connect(_on_data_point)
	visibility_changed.connect(_refresh_if_new)
	StudioSession.status_received.connect(func(_s: Dictionary) -> void: _refresh_if_new())


## Shows the analogy of rows a, b, c.
func set_rows(a: int, b: int, c: int) -> void:
	rows = PackedInt32Array([a, b, c])
	_show_rows()
	refresh()


func refresh() -> void:
	if not StudioSession.connected:
		UseCaseStyleTiles.set_message(
			_message, "The analogy appears once the backend is connected."
		)
		return
	StudioSession.send("analogy", {"a": rows[0], "b": rows[1], "c": rows[2]}, _on_reply)


## An `analogy` reply as {"z" (the result's z, [Z]), "cells" (rows a, b, c as data.get gives
## them, then the decode of z: Images, or text for vector data), "error"}.
static func analogy_from(result: Dictionary) -> Dictionary:
	var out: Dictionary = {"z": PackedFloat32Array(), "cells": [], "error": ""}
	var z: Variant = result.get("z")
	if not z is Dictionary or VaeStudioArray.to_float32(z).is_empty():
		out["error"] = "the analogy reply carried no z"
		return out
	out["z"] = VaeStudioArray.to_float32(z)
	var decoded: Array = UseCaseTiles.cells_of(result.get("images", result.get("values")))
	var sources: Variant = result.get("sources")
	var given: Array = []
	if sources is Dictionary:
		var s: Dictionary = sources
		given = UseCaseTiles.cells_of(s.get("images", s.get("values")))
	if decoded.size() != 1 or given.size() != 3:
		out["error"] = "the analogy reply needs one decode and three source rows"
		return out
	given.append(decoded[0])
	out["cells"] = given
	return out


func _on_reply(request: VaeStudioRequest) -> void:
	analogies_drawn += 1
	shown = analogy_from(request.result()) if request.is_ok() else {}
	error = (
		str(shown.get("error", "")) if request.is_ok() else StudioSession.describe_failure(request)
	)
	if not error.is_empty():
		tiles.show_placeholder("")
		UseCaseStyleTiles.set_message(_message, "analogy failed — %s" % error, true)
		analogy_shown.emit(false)
		return
	var titles := PackedStringArray()
	for i in 3:
		titles.append("%s · row %d" % [SLOTS[i], rows[i]])
	titles.append("c + (b − a)")
	var caption: String = "a : b :: c : result"
	tiles.set_rows(titles, [{"cells": shown["cells"], "caption": caption}] as Array[Dictionary])
	var z: PackedFloat32Array = shown["z"]
	UseCaseStyleTiles.set_message(_message, "z = μc + (μb − μa), |z| = %.2f" % _norm(z))
	analogy_shown.emit(true)


## Each pick in the latent view fills the next of a, b, c; the third draws the analogy.
func _on_data_point(point: StudioDataPoint) -> void:
	if point.row < 0 or not point.error.is_empty():
		return
	rows[_next_slot] = point.row
	_next_slot = (_next_slot + 1) % SLOTS.size()
	_show_rows()
	if _next_slot == 0:
		refresh()


func _on_rows_submitted(text: String) -> void:
	var typed: PackedInt32Array = UseCaseStyleTiles.parse_rows(text)
	if typed.size() != 3:
		error = "Type three rows a, b, c as whole numbers ≥ 0, e.g. 3, 8, 21 (got '%s')." % text
		UseCaseStyleTiles.set_message(_message, error, true)
		return
	_next_slot = 0
	set_rows(typed[0], typed[1], typed[2])


func _show_rows() -> void:
	rows_edit.text = "%d, %d, %d" % [rows[0], rows[1], rows[2]]
	_summary.text = "next pick fills %s" % SLOTS[_next_slot]


func _refresh_if_new() -> void:
	if is_visible_in_tree() and not _asked and not StudioSession.status.is_empty():
		_asked = true
		refresh()


static func _norm(z: PackedFloat32Array) -> float:
	var total: float = 0.0
	for v in z:
		total += v * v
	return sqrt(total)

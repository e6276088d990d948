class_name UseCaseStyleGrid
extends VBoxContainer
## Style transfer of a conditional model (`style`): each source row's z decoded as every class,
## source rows down, the data set's classes across (their names as headers). Rows come from
## picks in the latent view (the newest first) or typed indices; while the model trains the grid
## is drawn again once a second when on screen. Another model shows the op's reason in words.

## A grid drawn; when `ok` is false [member error] says why.
signal grid_shown(ok: bool)

## At most this many source rows and classes (columns) are shown.
const MAX_ROWS: int = 4
const MAX_CLASSES: int = 10
const REFRESH_S: float = 1.0

## The data-set rows down the grid.
var sources := PackedInt32Array([0, 1, 2])
## What the grid shows now: grid_from() of the last reply.
var shown: Dictionary = {}
## The last failure in words ("" after a success), e.g. the op's reason for a plain vae.
var error: String = ""
var grids_drawn: int = 0
var busy: bool = false
## The row input and the tiles (a row of class cells per source), for drivers and tests.
var rows_edit: LineEdit
var tiles: UseCaseTiles

var _summary: Label
var _message: Label
var _again: bool = false


func _ready() -> void:
	_summary = DashboardSection.add_header(self, "Each row as every class")
	var controls := HBoxContainer.new()
	add_child(controls)
	var caption := Label.new()
	caption.text = "source rows"
	caption.theme_type_variation = &"DimLabel"
	controls.add_child(caption)
	rows_edit = LineEdit.new()
	rows_edit.custom_minimum_size = Vector2(140, 0)
	rows_edit.tooltip_text = "Data-set rows (comma-separated); a row picked in the latent view joins"
	rows_edit.text = _rows_text()
	rows_edit.text_submitted.connect(_on_rows_submitted)
	controls.add_child(rows_edit)
	tiles = UseCaseTiles.new()
	tiles.size_flags_vertical = Control.SIZE_EXPAND_FILL
	tiles.custom_minimum_size = Vector2(200, 160)
	add_child(tiles)
	_message = Label.new()
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_message)
	var timer := Timer.new()
	timer.wait_time = REFRESH_S
	timer.timeout.connect(_on_tick)
	add_child(timer)
	timer.start()
	StudioSession.data_point_received.connect(_on_data_point)
	StudioSession.status_received.connect(func(_s: Dictionary) -> void: _refresh_if_stale())
	visibility_changed.connect(_refresh_if_stale)


## Shows these data-set rows (at most MAX_ROWS) as every class.
func set_rows(rows: PackedInt32Array) -> void:
	sources = rows.slice(0, MAX_ROWS)
	rows_edit.text = _rows_text()
	refresh()


## Asks for the grid of [member sources] × the data set's classes.
func refresh() -> void:
	if busy:
		_again = true
		return
	if not StudioSession.connected:
		UseCaseStyleTiles.set_message(_message, "The grid appears once the backend is connected.")
		return
	var labels := PackedInt32Array()
	for label in mini(maxi(UseCaseStyleTiles.class_names().size(), 1), MAX_CLASSES):
		labels.append(label)
	busy = true
	_again = false
	var args: Dictionary = {
		"indices": VaeStudioArray.from_int32(sources, [sources.size()]),
		"labels": VaeStudioArray.from_int32(labels, [labels.size()]),
	}
	StudioSession.send("style", args, _on_reply.bind(sources.size(), labels.size()))


## The grid of a `style` reply for `n` sources and `m` classes: {"rows", "cols", "cells" (an
## Image, or text for vector data, per source and class, row-major), "error"}.
static func grid_from(result: Dictionary, n: int, m: int) -> Dictionary:
	var out: Dictionary = {"rows": 0, "cols": 0, "cells": [], "error": ""}
	var arr: Variant = result.get("images", result.get("values"))
	if not arr is Dictionary:
		out["error"] = "the style reply carried no images or values array"
		return out
	var shape: Variant = (arr as Dictionary).get("shape")
	if not shape is Array or (shape as Array).size() < 3:
		out["error"] = "the style reply's array has shape %s, not [n, m, …]" % [shape]
		return out
	if int(shape[0]) != n or int(shape[1]) != m:
		out["error"] = "the style reply is %s, not %d rows × %d classes" % [shape, n, m]
		return out
	var cells: Array = UseCaseTiles.cells_of(UseCaseStyleTiles.flatten(arr, 2))
	if cells.size() != n * m:
		out["error"] = "the style reply's %s array holds no images or values" % [shape]
		return out
	out["rows"] = n
	out["cols"] = m
	out["cells"] = cells
	return out


func _on_reply(request: VaeStudioRequest, n: int, m: int) -> void:
	busy = false
	grids_drawn += 1
	if request.is_ok():
		shown = grid_from(request.result(), n, m)
		error = str(shown["error"])
	else:
		shown = {}
		error = StudioSession.describe_failure(request)
		if request.error_code() == "invalid_argument":
			error = "No class grid for this model: %s" % request.error_message()
	_draw_grid()
	if error.is_empty():
		var step: int = UseCaseStyleTiles.live_step()
		_summary.text = "%d rows × %d classes · step %d" % [n, m, step]
		UseCaseStyleTiles.set_message(
			_message, "Pick a point in the latent view, or type rows, to add a source row."
		)
	else:
		_summary.text = ""
		UseCaseStyleTiles.set_message(_message, error, true)
	grid_shown.emit(error.is_empty())
	if _again:
		refresh()


func _draw_grid() -> void:
	if shown.is_empty() or not str(shown["error"]).is_empty():
		tiles.show_placeholder("")
		return
	var cols: int = int(shown["cols"])
	var names: PackedStringArray = UseCaseStyleTiles.class_names()
	var titles := PackedStringArray()
	for c in cols:
		titles.append(names[c] if c < names.size() else str(c))
	var cells: Array = shown["cells"]
	var rows: Array[Dictionary] = []
	for r in int(shown["rows"]):
		var caption: String = "row %d" % sources[r] if r < sources.size() else ""
		rows.append({"cells": cells.slice(r * cols, (r + 1) * cols), "caption": caption})
	tiles.set_rows(titles, rows)


func _rows_text() -> String:
	var parts: PackedStringArray = []
	for row in sources:
		parts.append(str(row))
	return ", ".join(parts)


func _on_rows_submitted(text: String) -> void:
	var rows: PackedInt32Array = UseCaseStyleTiles.parse_rows(text)
	if rows.is_empty():
		error = "Rows must be whole numbers ≥ 0, e.g. 0, 5, 17 (got '%s')." % text
		UseCaseStyleTiles.set_message(_message, error, true)
		return
	set_rows(rows)


## A row picked in the latent view joins the grid at the top.
func _on_data_point(point: StudioDataPoint) -> void:
	if point.row < 0 or not point.error.is_empty():
		return
	var rows := PackedInt32Array([point.row])
	for row in sources:
		if row != point.row:
			rows.append(row)
	set_rows(rows)


func _refresh_if_stale() -> void:
	if (
		is_visible_in_tree()
		and not busy
		and grids_drawn == 0
		and not StudioSession.status.is_empty()
	):
		refresh()


## Draws again once a second while the model trains and the grid is on screen (never for a
## model that has no grid).
func _on_tick() -> void:
	if is_visible_in_tree() and StudioSession.is_training() and not busy and not shown.is_empty():
		refresh()

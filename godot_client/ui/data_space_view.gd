class_name DataSpaceView
extends PanelContainer
## The data set in data space, for vector data (toy manifolds, CSV files): its rows as a scatter
## of their first two columns coloured by label (one column: value against row index), fetched
## with `data.get` in chunks once per run; over them the model's reconstructions of up to
## [constant MAX_RECON] rows (`encode` the rows, `decode` their μ), refreshed at most once a
## second as latent frames arrive; and the current decode of vector data as a marker that moves
## as points are picked in the latent view. Image data gets a sentence instead. What it shows is
## in its public fields.

## All the rows asked for are in (`ok`), or fetching them failed and [member error] says why.
signal data_shown(ok: bool)
## A reply of a reconstruction request was shown; when `ok` is false [member error] says why.
signal reconstructions_shown(ok: bool)

## Rows per `data.get` (the protocol's limit on `n`).
const CHUNK: int = 4096
## At most this many rows are fetched and drawn.
const MAX_ROWS: int = 50_000
## At most this many rows are reconstructed (one `encode` and one `decode`).
const MAX_RECON: int = 4096
## Reconstruction refreshes are at least this far apart.
const RECON_INTERVAL_MS: int = 1000
const FONT_SIZE: int = 11
## Space around the plot for the tick labels (left, bottom) and the legend (top).
const MARGIN_LEFT: float = 46.0
const MARGIN_BOTTOM: float = 18.0
const MARGIN_TOP: float = 22.0
const MARGIN_RIGHT: float = 10.0
const DATA_RADIUS: float = 2.2
const RECON_RADIUS: float = 1.3
const MARKER_RADIUS: float = 8.0

## Rows of the data set in the live status, and how many of them are fetched ([MAX_ROWS] max).
var dataset_rows: int = 0
var rows_total: int = 0
## D, the width of one row (the status's `shape` [D]).
var value_width: int = 0
## The fetched rows as plot points (columns 0 and 1, or row index and value) and their labels
## (-1 without).
var data_points := PackedVector2Array()
var data_labels := PackedInt32Array()
## The span of the fetched rows' plot points (complete once [member fetching] is false).
var data_bounds := Rect2()
## The reconstructions of the last refresh as plot points, their rows, and how many refreshes
## were shown.
var reconstructions := PackedVector2Array()
var recon_rows := PackedInt32Array()
var recon_updates: int = 0
## The current decode of vector data as a plot point (for D = 1 only its y counts).
var marker := Vector2.ZERO
var has_marker: bool = false
## True when the live data set holds images: the view shows a sentence instead.
var is_images: bool = false
## Points drawn in the last redraw (those inside the plot).
var rows_drawn: int = 0
var reconstructions_drawn: int = 0
var fetching: bool = false
var recon_busy: bool = false
var message: String = ""
## The last failure as shown ("" after a success).
var error: String = ""

var _data_run: String = ""
var _chunks: Array[Vector2i] = []
var _next_chunk: int = 0
var _frame_waiting: bool = false
var _recon_sent_ms: int = 0
var _recon_key: String = ""

@onready var _caption: Label = $Rows/Caption
@onready var _frame: Control = $Rows/Frame
@onready var _plot: Control = $Rows/Frame/Plot
@onready var _message: Label = $Rows/Message


func _ready() -> void:
	_plot.draw.connect(_draw_plot)
	_plot.resized.connect(_plot.queue_redraw)
	visibility_changed.connect(_update)
	StudioSession.status_received.connect(_on_status_received)
	StudioSession.latent_received.connect(_on_latent_received)
	StudioSession.decode_finished.connect(_on_decode_finished)


func _process(_delta: float) -> void:
	if not _frame_waiting or recon_busy or fetching or not is_visible_in_tree():
		return
	if recon_updates > 0 and Time.get_ticks_msec() - _recon_sent_ms < RECON_INTERVAL_MS:
		return
	_frame_waiting = false
	refresh_reconstructions()


## Fetches the live data set's rows again, in chunks of [constant CHUNK].
func refresh_data() -> void:
	var dataset: Dictionary = _dataset()
	var shape: Array = dataset.get("shape", []) if dataset.get("shape") is Array else []
	if shape.size() != 1 or not StudioSession.connected:
		return
	_data_run = str(StudioSession.status.get("run", ""))
	dataset_rows = int(dataset.get("n", 0))
	rows_total = mini(dataset_rows, MAX_ROWS)
	value_width = int(shape[0])
	data_points = PackedVector2Array()
	data_labels = PackedInt32Array()
	reconstructions = PackedVector2Array()
	recon_rows = PackedInt32Array()
	recon_updates = 0
	_recon_key = ""
	_chunks = chunks(rows_total, CHUNK)
	_next_chunk = 0
	fetching = true
	_caption.text = describe_axes(str(dataset.get("name", "data")), dataset_rows, value_width)
	_fetch_next()


## Encodes up to [constant MAX_RECON] rows spread over the data and decodes their μ.
func refresh_reconstructions() -> void:
	if fetching or recon_busy or rows_total == 0 or not StudioSession.connected:
		return
	var rows: PackedInt32Array = spread_rows(rows_total, MAX_RECON)
	var args: Dictionary = {"indices": VaeStudioArray.from_int32(rows, [rows.size()])}
	recon_busy = true
	_recon_sent_ms = Time.get_ticks_msec()
	StudioSession.send("encode", args, _on_encode_reply.bind(rows, _data_run))


## The control the scatter is drawn on.
func plot_view() -> Control:
	return _plot


## Where a plot point lies on screen (global coordinates).
func to_screen(p: Vector2) -> Vector2:
	return _plot.get_global_transform() * _to_plot(p)


## [start, count] of each request that fetches `total` rows `size` at a time.
static func chunks(total: int, size: int) -> Array[Vector2i]:
	var out: Array[Vector2i] = []
	for start in range(0, maxi(total, 0), maxi(size, 1)):
		out.append(Vector2i(start, mini(size, total - start)))
	return out


## `count` rows spread evenly over 0…total−1 (all of them when total ≤ count).
static func spread_rows(total: int, count: int) -> PackedInt32Array:
	var rows := PackedInt32Array()
	var shown: int = mini(total, count)
	for i in shown:
		rows.append(int(float(i) * total / shown))
	return rows


## Plot points of rows of width `width` one after another in `values`: columns 0 and 1, or for
## one column the row (from `rows`) against the value.
static func plot_points(
	values: PackedFloat32Array, width: int, rows: PackedInt32Array
) -> PackedVector2Array:
	var points := PackedVector2Array()
	if width <= 0:
		return points
	for i in values.size() / width:
		if width >= 2:
			points.append(Vector2(values[i * width], values[i * width + 1]))
		else:
			points.append(Vector2(rows[i] if i < rows.size() else i, values[i]))
	return points


## The smallest rectangle holding every point (zero-sized without points).
static func bounds_of(points: PackedVector2Array) -> Rect2:
	if points.is_empty():
		return Rect2()
	var low: Vector2 = points[0]
	var high: Vector2 = points[0]
	for p in points:
		low = low.min(p)
		high = high.max(p)
	return Rect2(low, high - low)


## Round tick values (steps of 1, 2 or 5 × 10^k) from `low` to `high`, about `target` of them.
static func nice_ticks(low: float, high: float, target: int = 5) -> PackedFloat32Array:
	var ticks := PackedFloat32Array()
	if not high > low:
		ticks.append(low)
		return ticks
	var raw: float = (high - low) / maxi(target, 1)
	var magnitude: float = pow(10.0, floorf(log(raw) / log(10.0)))
	var step: float = magnitude * 10.0
	for factor: float in [1.0, 2.0, 5.0]:
		if raw <= factor * magnitude * 1.0001:
			step = factor * magnitude
			break
	var t: float = ceilf(low / step - 1e-6) * step
	while t <= high + step * 1e-6:
		ticks.append(0.0 if absf(t) < step * 1e-6 else t)
		t += step
	return ticks


## What the axes show, e.g. "moons · 2000 rows · x = column 0, y = column 1".
static func describe_axes(name: String, rows: int, width: int) -> String:
	var text: String = "%s · %d rows · " % [name, rows]
	if rows > MAX_ROWS:
		text = "%s · the first %d of %d rows · " % [name, MAX_ROWS, rows]
	if width == 1:
		return text + "x = row, y = the value"
	if width == 2:
		return text + "x = column 0, y = column 1"
	return text + "x = column 0, y = column 1 (the first two of %d columns)" % width


func _dataset() -> Dictionary:
	var dataset: Variant = StudioSession.status.get("dataset")
	return dataset if dataset is Dictionary else {}


func _on_status_received(_status: Dictionary) -> void:
	_update()


## Shows the sentence for image data, or fetches the rows of a run not fetched yet.
func _update() -> void:
	if not is_visible_in_tree() or StudioSession.status.is_empty():
		return
	var shape: Variant = _dataset().get("shape")
	if not shape is Array:
		return
	is_images = (shape as Array).size() != 1
	_frame.visible = not is_images
	if is_images:
		_caption.text = "Data space"
		_show("The data are images: see the inspector.", StudioPalette.TEXT_DIM)
		return
	if not fetching and str(StudioSession.status.get("run", "")) != _data_run:
		refresh_data()


func _fetch_next() -> void:
	if _next_chunk >= _chunks.size():
		fetching = false
		data_bounds = bounds_of(data_points)
		_frame_waiting = true
		if error.is_empty():
			_show("%d rows" % data_points.size(), StudioPalette.TEXT_DIM)
		_plot.queue_redraw()
		data_shown.emit(true)
		return
	var chunk: Vector2i = _chunks[_next_chunk]
	var rows := PackedInt32Array(range(chunk.x, chunk.x + chunk.y))
	var args: Dictionary = {"indices": VaeStudioArray.from_int32(rows, [rows.size()])}
	_show(
		"Fetching rows %d–%d of %d…" % [chunk.x, chunk.x + chunk.y - 1, rows_total],
		StudioPalette.TEXT_DIM
	)
	StudioSession.send("data.get", args, _on_data_reply.bind(rows, _data_run))


func _on_data_reply(request: VaeStudioRequest, rows: PackedInt32Array, run: String) -> void:
	if run != _data_run or not fetching:
		return  # rows of an earlier run
	var problem: String = ""
	if not request.is_ok():
		problem = StudioSession.describe_failure(request)
	else:
		problem = _take_rows(request.result(), rows)
	if not problem.is_empty():
		fetching = false
		error = "data.get failed — %s" % problem
		_show(error, StudioPalette.ERROR)
		data_shown.emit(false)
		return
	_next_chunk += 1
	_fetch_next()


## Adds the rows of a `data.get` reply; returns what is wrong with it, or "".
func _take_rows(result: Dictionary, rows: PackedInt32Array) -> String:
	var values: Variant = result.get("values")
	if not values is Dictionary or not _is_matrix(values, rows.size(), value_width):
		return "the reply carried no values array of %d × %d" % [rows.size(), value_width]
	data_points.append_array(plot_points(VaeStudioArray.to_float32(values), value_width, rows))
	var labels: Variant = result.get("labels")
	var got := PackedInt32Array()
	if labels is Dictionary and VaeStudioArray.validate(labels).is_empty():
		got = VaeStudioArray.to_int32(labels)
	if got.size() != rows.size():
		got.resize(rows.size())
		got.fill(-1)
	data_labels.append_array(got)
	return ""


func _on_latent_received(frame: StudioLatentFrame) -> void:
	var key: String = "%s:%d" % [frame.run, frame.step]
	if key != _recon_key:
		_recon_key = key
		_frame_waiting = true


func _on_encode_reply(request: VaeStudioRequest, rows: PackedInt32Array, run: String) -> void:
	if run != _data_run:
		recon_busy = false
		return
	var mu: Variant = request.result().get("mu") if request.is_ok() else null
	if not request.is_ok() or not mu is Dictionary:
		_recon_failed("encode", request, "the reply carried no mu array")
		return
	var args: Dictionary = {"z": mu}
	if StudioSession.is_conditional():
		var labels := PackedInt32Array()
		for row in rows:
			var label: int = data_labels[row] if row < data_labels.size() else 0
			labels.append(clampi(label, 0, StudioSession.num_classes() - 1))
		args["labels"] = VaeStudioArray.from_int32(labels, [labels.size()])
	StudioSession.send("decode", args, _on_decode_reply.bind(rows, run))


func _on_decode_reply(request: VaeStudioRequest, rows: PackedInt32Array, run: String) -> void:
	recon_busy = false
	if run != _data_run:
		return
	var values: Variant = request.result().get("values") if request.is_ok() else null
	if not request.is_ok() or not values is Dictionary:
		_recon_failed("decode", request, "the reply carried no values array")
		return
	if not _is_matrix(values, rows.size(), value_width):
		_recon_failed("decode", request, "the values are not %d × %d" % [rows.size(), value_width])
		return
	reconstructions = plot_points(VaeStudioArray.to_float32(values), value_width, rows)
	recon_rows = rows
	recon_updates += 1
	if not error.is_empty():
		error = ""
		_show("%d rows" % data_points.size(), StudioPalette.TEXT_DIM)
	_plot.queue_redraw()
	reconstructions_shown.emit(true)


func _recon_failed(op: String, request: VaeStudioRequest, why: String) -> void:
	recon_busy = false
	var problem: String = StudioSession.describe_failure(request) if not request.is_ok() else why
	error = "%s of the reconstructions failed — %s" % [op, problem]
	_show(error, StudioPalette.ERROR)
	reconstructions_shown.emit(false)


func _on_decode_finished(_z: PackedFloat32Array, image: Image) -> void:
	var values: PackedFloat32Array = StudioSession.decoded_values
	has_marker = image == null and value_width > 0 and values.size() == value_width
	if has_marker:
		marker = plot_points(values, value_width, PackedInt32Array([0]))[0]
	_plot.queue_redraw()


func _show(text: String, color: Color) -> void:
	message = text
	_message.text = text
	_message.add_theme_color_override("font_color", color)


static func _is_matrix(arr: Dictionary, rows: int, width: int) -> bool:
	var shape: Variant = arr.get("shape")
	return (
		VaeStudioArray.validate(arr).is_empty()
		and arr.get("dtype") == "f32"
		and shape is Array
		and (shape as Array).size() == 2
		and int(shape[0]) == rows
		and int(shape[1]) == width
	)


# --- drawing -------------------------------------------------------------------------------


## The plot's drawing area inside the margins.
func _area() -> Rect2:
	var size: Vector2 = _plot.size
	return Rect2(
		MARGIN_LEFT,
		MARGIN_TOP,
		maxf(size.x - MARGIN_LEFT - MARGIN_RIGHT, 1.0),
		maxf(size.y - MARGIN_TOP - MARGIN_BOTTOM, 1.0)
	)


## The data extent shown: the data's bounds with a little room around them.
func _extent() -> Rect2:
	var extent: Rect2 = data_bounds
	var pad := Vector2(maxf(extent.size.x, 1e-3), maxf(extent.size.y, 1e-3)) * 0.05
	return Rect2(extent.position - pad, extent.size + pad * 2.0)


func _to_plot(p: Vector2) -> Vector2:
	var area: Rect2 = _area()
	var extent: Rect2 = _extent()
	var t: Vector2 = (p - extent.position) / extent.size
	return Vector2(area.position.x + t.x * area.size.x, area.end.y - t.y * area.size.y)


func _draw_plot() -> void:
	rows_drawn = 0
	reconstructions_drawn = 0
	if is_images or data_points.is_empty():
		return
	var area: Rect2 = _area()
	_draw_ticks(area)
	for i in data_points.size():
		var at: Vector2 = _to_plot(data_points[i])
		if area.grow(0.5).has_point(at):
			var color: Color = StudioPalette.label_color(data_labels[i])
			_plot.draw_circle(at, DATA_RADIUS, Color(color, 0.6))
			rows_drawn += 1
	for i in reconstructions.size():
		var at: Vector2 = _to_plot(reconstructions[i])
		if area.has_point(at):
			var row: int = recon_rows[i]
			var label: int = data_labels[row] if row < data_labels.size() else -1
			_plot.draw_circle(at, RECON_RADIUS, _recon_color(label))
			reconstructions_drawn += 1
	if has_marker:
		_draw_marker(area)
	_draw_legend(area)


func _draw_ticks(area: Rect2) -> void:
	var extent: Rect2 = _extent()
	var font: Font = get_theme_default_font()
	_plot.draw_rect(area, StudioPalette.GRID_AXIS, false, 1.0)
	var xs: PackedFloat32Array = nice_ticks(extent.position.x, extent.end.x)
	for x in xs:
		var at: float = _to_plot(Vector2(x, extent.position.y)).x
		_plot.draw_line(Vector2(at, area.position.y), Vector2(at, area.end.y), StudioPalette.GRID)
		var text: String = _tick_text(x, xs)
		var where := Vector2(at - 30.0, area.end.y + FONT_SIZE + 3.0)
		_plot.draw_string(
			font, where, text, HORIZONTAL_ALIGNMENT_CENTER, 60.0, FONT_SIZE, StudioPalette.TEXT_DIM
		)
	var ys: PackedFloat32Array = nice_ticks(extent.position.y, extent.end.y)
	for y in ys:
		var at: float = _to_plot(Vector2(extent.position.x, y)).y
		_plot.draw_line(Vector2(area.position.x, at), Vector2(area.end.x, at), StudioPalette.GRID)
		var where := Vector2(0.0, at + FONT_SIZE * 0.35)
		_plot.draw_string(
			font,
			where,
			_tick_text(y, ys),
			HORIZONTAL_ALIGNMENT_RIGHT,
			MARGIN_LEFT - 5.0,
			FONT_SIZE,
			StudioPalette.TEXT_DIM
		)


func _draw_marker(area: Rect2) -> void:
	var color: Color = StudioPalette.ACCENT
	var at: Vector2 = _to_plot(marker)
	if value_width == 1:
		at.y = clampf(at.y, area.position.y, area.end.y)
		_plot.draw_line(Vector2(area.position.x, at.y), Vector2(area.end.x, at.y), color, 2.0)
		return
	at = at.clamp(area.position, area.end)
	_plot.draw_circle(at, MARKER_RADIUS, Color(color, 0.3))
	_plot.draw_arc(at, MARKER_RADIUS + 1.0, 0.0, TAU, 24, StudioPalette.BACKGROUND, 4.0, true)
	_plot.draw_arc(at, MARKER_RADIUS, 0.0, TAU, 24, color, 2.0, true)
	_plot.draw_line(at - Vector2(MARKER_RADIUS + 4, 0), at + Vector2(MARKER_RADIUS + 4, 0), color)
	_plot.draw_line(at - Vector2(0, MARKER_RADIUS + 4), at + Vector2(0, MARKER_RADIUS + 4), color)


func _draw_legend(area: Rect2) -> void:
	var font: Font = get_theme_default_font()
	var y: float = area.position.y - 8.0
	var x: float = area.position.x
	var entries: Array = [
		["data", StudioPalette.label_color(0), DATA_RADIUS],
		["reconstruction", _recon_color(0), RECON_RADIUS + 0.6],
		["decoded z", StudioPalette.ACCENT, 4.0],
	]
	for entry: Array in entries:
		var text: String = entry[0]
		_plot.draw_circle(Vector2(x + 4.0, y), float(entry[2]), entry[1] as Color)
		_plot.draw_string(
			font,
			Vector2(x + 12.0, y + FONT_SIZE * 0.35),
			text,
			HORIZONTAL_ALIGNMENT_LEFT,
			-1,
			FONT_SIZE,
			StudioPalette.TEXT
		)
		x += 20.0 + font.get_string_size(text, HORIZONTAL_ALIGNMENT_LEFT, -1, FONT_SIZE).x


## A reconstruction's colour: its row's label colour, paler and lighter.
static func _recon_color(label: int) -> Color:
	return Color(StudioPalette.label_color(label).lerp(Color.WHITE, 0.75), 0.95)


static func _tick_text(value: float, ticks: PackedFloat32Array) -> String:
	var step: float = absf(ticks[1] - ticks[0]) if ticks.size() > 1 else 1.0
	var decimals: int = clampi(-floori(log(step) / log(10.0) + 1e-6), 0, 6)
	return String.num(value, decimals)

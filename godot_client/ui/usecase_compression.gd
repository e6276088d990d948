class_name UseCaseCompression
extends VBoxContainer
## The Compression page: each test row's latent mean quantised to the slider's bits per
## dimension is the row's code (the `compress` op, protocol §5.4). It shows the bytes per image
## against the raw bytes and their ratio, the PSNR of the decoded codes, original |
## reconstruction tiles, and the rate–distortion curve: PSNR against bits per image, measured by
## asking for [constant CURVE_BITS] in turn. The figures are over the op's default rows (the test
## split's first 256); the tiles are the `recons` stream's fixed test rows, compressed in a second
## request with their `indices`, beside the originals that stream carries.

## A reply of this page's request at the slider's bits was shown ([member error] says why not).
signal result_shown(ok: bool)
## Every bit depth of the rate–distortion curve was measured (or one failed).
signal curve_shown(ok: bool)

const CURVE_BITS: Array[int] = [1, 2, 4, 6, 8, 12, 16]
const SHOWN_ROWS: int = 8

## Bits per latent dimension of the next request (1–16).
var bits: int = 8
## What the last reply at the slider's bits showed, and the tiles' reply: [method view_of].
var shown: Dictionary = {}
var tiles_view: Dictionary = {}
## The rate–distortion points measured: bits per dimension -> Vector2(bits per image, PSNR).
var curve: Dictionary = {}
var last_args: Dictionary = {}
var results_shown: int = 0
var error: String = ""
var message: String = ""
var busy: bool = false

var bits_slider := HSlider.new()
var curve_button := Button.new()
var bytes_label := Label.new()
var tiles := UseCaseTiles.new()
var plot := UseCasePlot.new()

var _bits_value := Label.new()
var _summary := Label.new()
var _message := Label.new()
var _again: bool = false
## Bits the tiles wait to be asked at once the `recons` stream's rows arrive (0: none wait).
var _tiles_waiting_bits: int = 0
## Bit depths of the curve still to ask for.
var _curve_queue: Array[int] = []


func _ready() -> void:
	add_theme_constant_override("separation", 6)
	var header := HBoxContainer.new()
	add_child(header)
	header.add_child(_text("Bits per latent dimension"))
	bits_slider.min_value = 1
	bits_slider.max_value = 16
	bits_slider.step = 1
	bits_slider.value = bits
	bits_slider.tick_count = 16
	bits_slider.ticks_on_borders = true
	bits_slider.custom_minimum_size = Vector2(220, 0)
	bits_slider.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	bits_slider.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	header.add_child(bits_slider)
	header.add_child(_bits_value)
	curve_button.text = "Measure the curve again"
	header.add_child(curve_button)
	var figures := HBoxContainer.new()
	add_child(figures)
	bytes_label.add_theme_font_size_override("font_size", 30)
	bytes_label.add_theme_color_override("font_color", StudioPalette.ACCENT)
	figures.add_child(bytes_label)
	_summary.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_summary.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	figures.add_child(_summary)
	var body := HBoxContainer.new()
	body.size_flags_vertical = Control.SIZE_EXPAND_FILL
	add_child(body)
	tiles.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	tiles.custom_minimum_size = Vector2(240, 200)
	body.add_child(tiles)
	plot.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	plot.custom_minimum_size = Vector2(260, 200)
	plot.title = "Rate–distortion"
	plot.x_label = "bits per image"
	plot.y_label = "PSNR (dB)"
	plot.legend_at_bottom = true
	body.add_child(plot)
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_message)
	bits_slider.value_changed.connect(_on_bits_changed)
	curve_button.pressed.connect(measure_curve)
	visibility_changed.connect(_on_shown)
	StudioSession.run_changed.connect(func(_run: String) -> void: _forget())
	StudioSession.recons_received.connect(_on_recons)
	_show_bits()
	tiles.show_placeholder("Originals beside their decoded codes appear here.")


## Compresses the test rows at the slider's bits; while a request is out the newest wish waits.
func refresh() -> void:
	if busy:
		_again = true
		return
	if not _can_send():
		return
	last_args = {"bits": bits}
	_again = false
	busy = true
	StudioSession.send("compress", last_args, _on_reply.bind(bits))


## Sets the bits as the slider does; a new request follows.
func set_bits(value: int) -> void:
	bits_slider.value = value


## Measures the rate–distortion curve again: one `compress` per bit depth of [constant CURVE_BITS].
func measure_curve() -> void:
	if not _can_send():
		return
	curve.clear()
	_curve_queue = CURVE_BITS.duplicate()
	_draw_curve()
	_next_curve_point()


## True once every bit depth of the curve is in.
func curve_complete() -> bool:
	return _curve_queue.is_empty() and curve.size() == CURVE_BITS.size()


func _can_send() -> bool:
	if not StudioSession.connected:
		_show("The backend is not connected.", StudioPalette.TEXT_DIM)
		return false
	if not StudioSession.supports("compress"):
		_fail("this backend has no `compress` op (it predates the use cases)")
		return false
	return true


func _next_curve_point() -> void:
	if _curve_queue.is_empty():
		curve_shown.emit(true)
		return
	var at: int = _curve_queue[0]
	StudioSession.send("compress", {"bits": at}, _on_curve_reply.bind(at))


func _on_curve_reply(request: VaeStudioRequest, at: int) -> void:
	_curve_queue.erase(at)
	var view: Dictionary = view_of(request.result(), 0) if request.is_ok() else {}
	var problem: String = (
		str(view["error"]) if request.is_ok() else StudioSession.describe_failure(request)
	)
	if not problem.is_empty():
		_curve_queue.clear()
		error = "compress at %d bits failed — %s" % [at, problem]
		_show(error, StudioPalette.ERROR)
		curve_shown.emit(false)
		return
	curve[at] = Vector2(view["bytes"] * 8.0, view["psnr_mean"])
	_draw_curve()
	_next_curve_point()


func _draw_curve() -> void:
	plot.clear()
	var points := PackedVector2Array()
	for at: int in CURVE_BITS:
		if curve.has(at):
			points.append(curve[at])
	plot.add_line(points, StudioPalette.RECON, "PSNR of the test rows", true)
	if curve.has(bits):
		plot.add_line(PackedVector2Array([curve[bits]]), StudioPalette.ACCENT, "%d bits" % bits)
	elif not shown.is_empty() and str(shown["error"]).is_empty():
		var here := Vector2(shown["bytes"] * 8.0, shown["psnr_mean"])
		plot.add_line(PackedVector2Array([here]), StudioPalette.ACCENT, "%d bits" % bits)


func _on_bits_changed(value: float) -> void:
	bits = roundi(value)
	_show_bits()
	refresh()


func _show_bits() -> void:
	_bits_value.text = "%d" % bits


func _on_shown() -> void:
	if is_visible_in_tree() and results_shown == 0 and StudioSession.connected:
		refresh()


func _forget() -> void:
	results_shown = 0
	_tiles_waiting_bits = 0
	curve.clear()
	if is_visible_in_tree():
		refresh()


func _on_reply(request: VaeStudioRequest, sent_bits: int) -> void:
	busy = false
	results_shown += 1
	var problem: String = ""
	if request.is_ok():
		var view: Dictionary = view_of(request.result(), SHOWN_ROWS)
		problem = view["error"]
		if problem.is_empty():
			shown = view
			shown["bits"] = sent_bits
	else:
		problem = StudioSession.describe_failure(request)
	if problem.is_empty():
		error = ""
		if tiles_view.is_empty():
			tiles.set_rows(PackedStringArray(["decoded"]), shown["rows"])
		bytes_label.text = shown["headline"]
		_summary.text = shown["summary"]
		_show("%d bits per dimension" % sent_bits, StudioPalette.TEXT_DIM)
		_draw_curve()
		_request_tiles(sent_bits)
		if curve.is_empty() and _curve_queue.is_empty():
			measure_curve()
	else:
		_fail(problem)
	result_shown.emit(problem.is_empty())
	if _again:
		refresh()


## Compresses the `recons` stream's rows at `at` bits for the tiles, beside that stream's
## originals of them.
func _request_tiles(at: int) -> void:
	var stream: Dictionary = UseCaseTiles.recons_rows(StudioSession.recons, SHOWN_ROWS)
	if stream.is_empty():  # a fresh connection may answer before the stream's first message
		_tiles_waiting_bits = at
		return
	_tiles_waiting_bits = 0
	var rows: PackedInt32Array = stream["indices"]
	var args: Dictionary = {"bits": at, "indices": VaeStudioArray.from_int32(rows, [rows.size()])}
	StudioSession.send("compress", args, _on_tiles_reply.bind(stream["originals"]))


func _on_recons(_message: Dictionary) -> void:
	if _tiles_waiting_bits > 0 and _tiles_waiting_bits == int(shown.get("bits", 0)):
		_request_tiles(_tiles_waiting_bits)


func _on_tiles_reply(request: VaeStudioRequest, originals: Array) -> void:
	if not request.is_ok():
		_fail("the tiles' request: %s" % StudioSession.describe_failure(request))
		return
	var view: Dictionary = view_of(request.result(), SHOWN_ROWS, originals)
	if not str(view["error"]).is_empty():
		_fail("the tiles' reply: %s" % view["error"])
		return
	tiles_view = view
	tiles.set_rows(PackedStringArray(["original", "decoded"]), view["rows"])


func _fail(problem: String) -> void:
	error = "compress failed — %s" % problem
	_show(error, StudioPalette.ERROR)


func _show(text: String, color: Color) -> void:
	message = text
	_message.text = text
	_message.add_theme_color_override("font_color", color)


static func _text(text: String) -> Label:
	var label := Label.new()
	label.text = text
	return label


## What a `compress` reply shows: {"rows": the first `max_rows` rows as original |
## reconstruction tiles captioned with their PSNR, "n", "bytes" (per image), "raw" (bytes),
## "ratio" (raw / bytes), "latent_dim" (Z, from lo), "psnr_mean", "headline" ("12 B per
## image"), "summary", "error" ("" when the reply is sound)}. With `originals` (one cell per
## row of the reply) each tile row is original | reconstruction, else the reconstruction alone.
static func view_of(result: Dictionary, max_rows: int, originals: Array = []) -> Dictionary:
	var out: Dictionary = {"rows": [] as Array[Dictionary], "error": ""}
	var recons: Array = UseCaseTiles.cells_of(result.get("reconstructions"))
	var psnr: PackedFloat32Array = UseCaseDenoise._floats(result.get("psnr"))
	var lo: PackedFloat32Array = UseCaseDenoise._floats(result.get("lo"))
	var codes: Variant = result.get("codes")
	var n: int = recons.size()
	var per_row: int = int(result.get("bytes_per_row", 0))
	var raw: int = int(result.get("raw_bytes_per_row", 0))
	if n == 0 or psnr.size() != n or per_row <= 0 or raw <= 0:
		out["error"] = ("the reply needs reconstructions, psnr [n], bytes_per_row and raw_bytes_per_row")
		return out
	if codes is PackedByteArray and (codes as PackedByteArray).size() != n * per_row:
		out["error"] = (
			"codes hold %d bytes, not %d rows × %d bytes"
			% [(codes as PackedByteArray).size(), n, per_row]
		)
		return out
	var rows: Array[Dictionary] = []
	for i in mini(n, max_rows):
		var cells: Array = [recons[i]] if originals.size() != n else [originals[i], recons[i]]
		rows.append({"cells": cells, "caption": "%.1f dB" % psnr[i]})
	var ratio: float = float(raw) / per_row
	out["rows"] = rows
	out["n"] = n
	out["bytes"] = per_row
	out["raw"] = raw
	out["ratio"] = ratio
	out["latent_dim"] = lo.size()
	out["psnr_mean"] = float(result.get("psnr_mean", NAN))
	out["headline"] = "%d B per image" % per_row
	out["summary"] = (
		"raw %d B · %.1f× smaller · PSNR %.1f dB (mean of %d test rows) · %d dims"
		% [raw, ratio, out["psnr_mean"], n, lo.size()]
	)
	return out

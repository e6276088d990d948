class_name UseCaseDenoise
extends VBoxContainer
## The Denoise page: test rows with noise added (Gaussian, salt & pepper or a mask, at the level
## of the slider) go through the live model, and rows of clean | noisy | denoised tiles show what
## it made of them, with each row's PSNR and, in large type, how many dB the model gained over
## the noisy input (the `denoise` op, protocol §5.4). It runs again when the kind or level
## changes, on the button, and about once a second while training and on screen.

## A reply of this page's `denoise` request was shown; when `ok` is false [member error] says why.
signal result_shown(ok: bool)

const KINDS: PackedStringArray = ["gaussian", "salt_pepper", "mask"]
const KIND_NAMES: PackedStringArray = ["Gaussian", "salt & pepper", "mask"]
## How many rows of tiles are shown (the mean PSNR is over every row of the reply).
const SHOWN_ROWS: int = 8
const AUTO_INTERVAL_S: float = 1.0

## The noise of the next request: one of [constant KINDS], and its level (0–1).
var kind: String = "gaussian"
var level: float = 0.3
## What the last reply showed: [method view_of].
var shown: Dictionary = {}
## The args of the last request, how many replies were shown, the last failure ("" after a
## success) and the sentence under the tiles.
var last_args: Dictionary = {}
var results_shown: int = 0
var error: String = ""
var message: String = ""
var busy: bool = false

var kind_option := OptionButton.new()
var level_slider := HSlider.new()
var run_button := Button.new()
var tiles := UseCaseTiles.new()
var gain_label := Label.new()

var _level_value := Label.new()
var _summary := Label.new()
var _message := Label.new()
var _again: bool = false
var _sent_ms: int = 0


func _ready() -> void:
	add_theme_constant_override("separation", 6)
	var header := HBoxContainer.new()
	add_child(header)
	header.add_child(_text("Noise"))
	for kind_name in KIND_NAMES:
		kind_option.add_item(kind_name)
	header.add_child(kind_option)
	header.add_child(_text("  level"))
	level_slider.min_value = 0.0
	level_slider.max_value = 1.0
	level_slider.step = 0.05
	level_slider.value = level
	level_slider.custom_minimum_size = Vector2(180, 0)
	level_slider.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	header.add_child(level_slider)
	header.add_child(_level_value)
	run_button.text = "Run again"
	header.add_child(run_button)
	var figures := HBoxContainer.new()
	add_child(figures)
	gain_label.add_theme_font_size_override("font_size", 30)
	figures.add_child(gain_label)
	_summary.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_summary.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	figures.add_child(_summary)
	tiles.size_flags_vertical = Control.SIZE_EXPAND_FILL
	tiles.custom_minimum_size = Vector2(300, 200)
	add_child(tiles)
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_message)
	kind_option.item_selected.connect(_on_kind_selected)
	level_slider.value_changed.connect(_on_level_changed)
	run_button.pressed.connect(refresh)
	var timer := Timer.new()
	timer.wait_time = AUTO_INTERVAL_S
	timer.autostart = true
	timer.timeout.connect(_on_tick)
	add_child(timer)
	visibility_changed.connect(_on_tick)
	StudioSession.connection_changed.connect(func(_on: bool) -> void: _on_tick())
	_show_level()
	tiles.show_placeholder("Clean, noisy and denoised test rows appear here.")


## Sends one `denoise` request with the page's noise; while one is out the newest wish waits.
func refresh() -> void:
	if busy:
		_again = true
		return
	if not StudioSession.connected:
		_show("The backend is not connected.", StudioPalette.TEXT_DIM)
		return
	if not StudioSession.supports("denoise"):
		_fail("this backend has no `denoise` op (it predates the use cases)")
		return
	last_args = {"noise": {"kind": kind, "level": level}, "seed": 0}
	busy = true
	_again = false
	_sent_ms = Time.get_ticks_msec()
	StudioSession.send("denoise", last_args, _on_reply)


## Sets the level as the slider does; a new request follows.
func set_level(value: float) -> void:
	level_slider.value = value


## Picks noise kind `kind_id` (one of [constant KINDS]) as the menu does.
func select_kind(kind_id: String) -> void:
	var i: int = KINDS.find(kind_id)
	if i >= 0 and i != kind_option.selected:
		kind_option.select(i)
		_on_kind_selected(i)


func _on_kind_selected(index: int) -> void:
	kind = KINDS[index]
	refresh()


func _on_level_changed(value: float) -> void:
	level = value
	_show_level()
	refresh()


func _show_level() -> void:
	_level_value.text = "%.2f" % level


## About once a second: a new request while the model trains (or a first one) and the page is
## on screen.
func _on_tick() -> void:
	if not is_visible_in_tree() or busy or not StudioSession.connected:
		return
	if results_shown == 0 or StudioSession.is_training():
		refresh()


func _on_reply(request: VaeStudioRequest) -> void:
	busy = false
	results_shown += 1
	var problem: String = ""
	if request.is_ok():
		shown = view_of(request.result(), SHOWN_ROWS)
		problem = shown["error"]
	else:
		problem = StudioSession.describe_failure(request)
	if problem.is_empty():
		error = ""
		tiles.set_rows(PackedStringArray(["clean", "noisy", "denoised"]), shown["rows"])
		gain_label.text = shown["gain_text"]
		var gained: bool = float(shown["gain"]) > 0.0
		gain_label.add_theme_color_override(
			"font_color", StudioPalette.OK if gained else StudioPalette.WARN
		)
		_summary.text = shown["summary"]
		_show(
			(
				"%s noise at level %.2f · %d ms"
				% [KIND_NAMES[KINDS.find(kind)], level, Time.get_ticks_msec() - _sent_ms]
			),
			StudioPalette.TEXT_DIM
		)
	else:
		_fail(problem)
	result_shown.emit(problem.is_empty())
	if _again:
		refresh()


func _fail(problem: String) -> void:
	error = "denoise failed — %s" % problem
	_show(error, StudioPalette.ERROR)


func _show(text: String, color: Color) -> void:
	message = text
	_message.text = text
	_message.add_theme_color_override("font_color", color)


static func _text(text: String) -> Label:
	var label := Label.new()
	label.text = text
	return label


## What a `denoise` reply shows: {"rows": the first `max_rows` rows as tile rows (clean, noisy,
## denoised cells; caption "12.1 → 18.4 dB"), "n" rows in the reply, "mean_noisy",
## "mean_denoised", "gain" (dB), "gain_text" ("+6.3 dB"), "summary" (a sentence), "error" (what
## is wrong with the reply, or "")}.
static func view_of(result: Dictionary, max_rows: int) -> Dictionary:
	var out: Dictionary = {"rows": [] as Array[Dictionary], "n": 0, "error": ""}
	var clean: Array = UseCaseTiles.cells_of(result.get("clean"))
	var noisy: Array = UseCaseTiles.cells_of(result.get("noisy"))
	var denoised: Array = UseCaseTiles.cells_of(result.get("denoised"))
	var psnr_noisy: PackedFloat32Array = _floats(result.get("psnr_noisy"))
	var psnr_denoised: PackedFloat32Array = _floats(result.get("psnr_denoised"))
	var n: int = clean.size()
	var sizes: Array = [noisy.size(), denoised.size(), psnr_noisy.size(), psnr_denoised.size()]
	if n == 0 or sizes.any(func(s: int) -> bool: return s != n):
		out["error"] = (
			"the reply needs clean, noisy, denoised (images or values) and psnr_noisy, "
			+ "psnr_denoised of one length"
		)
		return out
	var rows: Array[Dictionary] = []
	for i in mini(n, max_rows):
		var caption: String = "%.1f → %.1f dB" % [psnr_noisy[i], psnr_denoised[i]]
		rows.append({"cells": [clean[i], noisy[i], denoised[i]], "caption": caption})
	var mean_noisy: float = float(result.get("psnr_noisy_mean", NAN))
	var mean_denoised: float = float(result.get("psnr_denoised_mean", NAN))
	var gain: float = mean_denoised - mean_noisy
	out["rows"] = rows
	out["n"] = n
	out["mean_noisy"] = mean_noisy
	out["mean_denoised"] = mean_denoised
	out["gain"] = gain
	out["gain_text"] = "%+.1f dB gain" % gain
	out["summary"] = (
		"PSNR noisy %.1f dB → denoised %.1f dB (mean of %d test rows; tiles: the first %d)"
		% [mean_noisy, mean_denoised, n, rows.size()]
	)
	return out


static func _floats(arr: Variant) -> PackedFloat32Array:
	if arr is Dictionary and VaeStudioArray.validate(arr).is_empty() and arr["dtype"] == "f32":
		return VaeStudioArray.to_float32(arr)
	return PackedFloat32Array()

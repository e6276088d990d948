class_name UseCaseGenerationQuality
extends VBoxContainer
## How good the samples are (`generation`): the test split's reconstruction PSNR at z = μ, and
## the diversity of n samples from the prior (mean pairwise distance of their decodes over the
## same figure for n test rows: 1 ≈ as varied as the data), at the samples panel's temperature.
## Measured on the button, and again every REFRESH_S seconds while the model trains on screen.

## A reply was shown; when `ok` is false [member error] says why.
signal quality_shown(ok: bool)

const SAMPLE_COUNT: int = 256
const REFRESH_S: float = 15.0
const TIME_LIMIT_S: float = 60.0

## The samples panel beside this figure: its temperature is used.
@export var samples_panel: SamplesPanel

## What is shown: quality_from() of the last reply ({} before one).
var shown: Dictionary = {}
var error: String = ""
var busy: bool = false
var measured: int = 0
var measured_step: int = -1
## Controls and drawings, for drivers and tests.
var measure_button: Button
var diversity_bars: UseCaseFeaturesBars
var psnr_label: Label
var diversity_label: Label
## The test PSNR of each measurement against the training step it was taken at.
var history: UseCasePlot
var psnr_by_step := PackedVector2Array()

var _message: Label
var _summary: Label


func _ready() -> void:
	_summary = DashboardSection.add_header(self, "Sample quality")
	measure_button = Button.new()
	measure_button.text = "Measure"
	measure_button.tooltip_text = "Reconstruct the test split and draw %d samples" % SAMPLE_COUNT
	measure_button.pressed.connect(measure)
	_summary.get_parent().add_child(measure_button)
	psnr_label = _figure("test reconstruction PSNR")
	diversity_label = _figure("diversity of %d samples ÷ data's" % SAMPLE_COUNT)
	diversity_bars = UseCaseFeaturesBars.new()
	diversity_bars.custom_minimum_size = Vector2(240, 70)
	diversity_bars.colours = PackedColorArray([StudioPalette.ACCENT, StudioPalette.RECON])
	diversity_bars.name_width = 80.0
	add_child(diversity_bars)
	history = UseCasePlot.new()
	history.title = "test PSNR (dB) by training step"
	history.x_label = "step"
	history.custom_minimum_size = Vector2(200, 150)
	history.size_flags_vertical = Control.SIZE_EXPAND_FILL
	add_child(history)
	_message = Label.new()
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_message)
	UseCaseStyleTiles.set_message(_message, "Measure compares samples with the test split.")
	var timer := Timer.new()
	timer.wait_time = REFRESH_S
	timer.timeout.connect(_on_tick)
	add_child(timer)
	timer.start()
	visibility_changed.connect(_measure_if_new)
	StudioSession.status_received.connect(func(_s: Dictionary) -> void: _measure_if_new())
	StudioSession.run_changed.connect(_on_run_changed)


func measure() -> void:
	if busy:
		return
	if not StudioSession.connected:
		error = "Sample quality needs a connected backend."
		UseCaseStyleTiles.set_message(_message, error, true)
		return
	busy = true
	measure_button.disabled = true
	measured_step = UseCaseStyleTiles.live_step()  # the weights measured are of this step
	var temperature: float = samples_panel.temperature if samples_panel != null else 1.0
	var args: Dictionary = {
		"n": SAMPLE_COUNT, "seed": 0, "temperature": temperature, "time_limit_s": TIME_LIMIT_S
	}
	UseCaseStyleTiles.set_message(_message, "measuring…")
	var request: VaeStudioRequest = StudioSession.send("generation", args, _on_reply)
	# The backend stops at time_limit_s and says so; the reply may take that long.
	if request != null and not request.done:
		request.deadline_ms = request.sent_ms + int((TIME_LIMIT_S + 15.0) * 1000.0)


## A `generation` reply as {"psnr" dB, "diversity" (the ratio), "sample_diversity",
## "data_diversity", "n", "error"}.
static func quality_from(result: Dictionary) -> Dictionary:
	var out: Dictionary = {"error": ""}
	for key: String in ["recon_psnr", "diversity", "sample_diversity", "data_diversity"]:
		if not typeof(result.get(key)) in [TYPE_FLOAT, TYPE_INT]:
			out["error"] = "the generation reply carried no %s" % key
			return out
	out["psnr"] = float(result["recon_psnr"])
	out["diversity"] = float(result["diversity"])
	out["sample_diversity"] = float(result["sample_diversity"])
	out["data_diversity"] = float(result["data_diversity"])
	out["n"] = int(result.get("n", 0))
	return out


func _on_reply(request: VaeStudioRequest) -> void:
	busy = false
	measure_button.disabled = false
	measured += 1
	shown = quality_from(request.result()) if request.is_ok() else {}
	error = (
		str(shown.get("error", "")) if request.is_ok() else StudioSession.describe_failure(request)
	)
	if not error.is_empty():
		UseCaseStyleTiles.set_message(_message, "generation failed — %s" % error, true)
		quality_shown.emit(false)
		return
	psnr_label.text = "%.1f dB" % float(shown["psnr"])
	diversity_label.text = "%.2f" % float(shown["diversity"])
	diversity_bars.set_bars(
		PackedStringArray(["samples", "test rows"]),
		PackedFloat32Array([shown["sample_diversity"], shown["data_diversity"]]),
		0.0
	)
	_summary.text = "step %d · T = %.2f" % [measured_step, _temperature()]
	psnr_by_step.append(Vector2(measured_step, shown["psnr"]))
	history.clear()
	history.add_line(psnr_by_step, StudioPalette.ACCENT, "PSNR", true)
	UseCaseStyleTiles.set_message(
		_message, "mean pairwise L2/√D of %d decodes: samples against test rows" % shown["n"]
	)
	quality_shown.emit(true)


## Another run's figures no longer apply.
func _on_run_changed(_run: String) -> void:
	psnr_by_step = PackedVector2Array()
	history.clear()
	measured = 0
	_measure_if_new()


func _figure(caption_text: String) -> Label:
	var row := HBoxContainer.new()
	add_child(row)
	var caption := Label.new()
	caption.text = caption_text
	caption.theme_type_variation = &"DimLabel"
	caption.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	row.add_child(caption)
	var value := Label.new()
	value.text = "—"
	value.theme_type_variation = &"HeaderSmall"
	row.add_child(value)
	return value


func _temperature() -> float:
	return samples_panel.temperature if samples_panel != null else 1.0


func _measure_if_new() -> void:
	if is_visible_in_tree() and measured == 0 and not busy and not StudioSession.status.is_empty():
		measure()


func _on_tick() -> void:
	if is_visible_in_tree() and StudioSession.is_training() and not busy:
		measure()

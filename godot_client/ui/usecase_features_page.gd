class_name UseCaseFeaturesPage
extends VBoxContainer
## Feature learning (`features`): how much of the labels a linear probe reads off μ, against the
## raw inputs, a PCA of the same width and 5-nearest neighbours on μ (chance marked), the μ
## probe's confusion matrix, and on data with ground-truth factors MIG and DCI. The op is slow:
## Run starts it, the page says it is running and can cancel it.

## A reply was shown; when `ok` is false [member error] says why.
signal figures_shown(ok: bool)

const TIME_LIMIT_S: float = 300.0
const PROBE_NAMES: Array[String] = ["probe on μ", "probe on raw", "probe on PCA", "5-NN on μ"]
const PROBE_KEYS: Array[String] = [
	"probe_accuracy", "probe_accuracy_raw", "probe_accuracy_pca", "knn_accuracy"
]

## What is shown: figures_from() of the last reply ({} before one).
var shown: Dictionary = {}
var error: String = ""
var running: bool = false
## The training step when the measured weights were taken (the status's step at the reply).
var measured_step: int = -1
## Controls and drawings, for drivers and tests.
var run_button: Button
var cancel_button: Button
var probe_bars: UseCaseFeaturesBars
var factor_bars: UseCaseFeaturesBars
var confusion: UseCaseFeaturesConfusion

var _request: VaeStudioRequest
var _started_ms: int = 0
var _status: Label
var _factor_title: Label


func _ready() -> void:
	add_theme_constant_override("separation", 8)
	var top := HBoxContainer.new()
	add_child(top)
	run_button = _button(top, "Run", "Fit the probes on the train split, score the test split")
	run_button.theme_type_variation = &"AccentButton"
	run_button.pressed.connect(run)
	cancel_button = _button(top, "Cancel", "Stop the measurement")
	cancel_button.disabled = true
	cancel_button.pressed.connect(cancel)
	_status = Label.new()
	_status.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_status.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	top.add_child(_status)
	UseCaseStyleTiles.set_message(_status, "Run measures the live model's features (seconds).")
	var body := HBoxContainer.new()
	body.size_flags_vertical = Control.SIZE_EXPAND_FILL
	body.add_theme_constant_override("separation", 16)
	add_child(body)
	var left := VBoxContainer.new()
	left.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	body.add_child(left)
	_title(left, "Label accuracy on the test split")
	probe_bars = _bars(left, 150)
	_factor_title = _title(left, "Disentanglement (ground-truth factors)")
	factor_bars = _bars(left, 120)
	var about := Label.new()
	about.text = (
		"A linear probe fitted on the train split's μ reads the labels of the test split; the"
		+ " same probe on the raw inputs and on their PCA to the latent width are the baselines."
		+ " MIG and DCI score how one latent dimension follows one ground-truth factor."
	)
	about.theme_type_variation = &"DimLabel"
	about.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	about.custom_minimum_size = Vector2(200, 0)
	left.add_child(about)
	var right := VBoxContainer.new()
	right.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	body.add_child(right)
	_title(right, "Confusion of the probe on μ")
	confusion = UseCaseFeaturesConfusion.new()
	confusion.size_flags_vertical = Control.SIZE_EXPAND_FILL
	confusion.custom_minimum_size = Vector2(220, 220)
	right.add_child(confusion)
	var ticker := Timer.new()
	ticker.wait_time = 0.5
	ticker.timeout.connect(_show_running)
	add_child(ticker)
	ticker.start()
	_show_factors(false)


## Starts the measurement (nothing while one runs).
func run() -> void:
	if running:
		return
	if not StudioSession.connected:
		error = "Features need a connected backend."
		UseCaseStyleTiles.set_message(_status, error, true)
		return
	running = true
	run_button.disabled = true
	cancel_button.disabled = false
	_started_ms = Time.get_ticks_msec()
	measured_step = UseCaseStyleTiles.live_step()  # the weights measured are of this step
	_show_running()
	_request = StudioSession.send(
		"features", {"split": "test", "time_limit_s": TIME_LIMIT_S}, _on_reply
	)
	# The backend stops at time_limit_s and says so; the reply may take that long.
	if _request != null and not _request.done:
		_request.deadline_ms = _request.sent_ms + int((TIME_LIMIT_S + 15.0) * 1000.0)


## Asks the backend to stop the running measurement; its reply then says `cancelled`.
func cancel() -> void:
	if running and _request != null:
		StudioSession.send("cancel", {"id": _request.id})


## A `features` reply as {"names", "values" (accuracies, PROBE_NAMES order), "chance" (1/K),
## "classes" K, "confusion" (counts [K × K] row-major), "factor_names", "factor_values"
## (MIG, DCI disentanglement, completeness, informativeness; empty without factors), "error"}.
static func figures_from(result: Dictionary) -> Dictionary:
	var out: Dictionary = {"names": PackedStringArray(), "values": PackedFloat32Array()}
	out["factor_names"] = PackedStringArray()
	out["factor_values"] = PackedFloat32Array()
	out["confusion"] = PackedInt32Array()
	out["error"] = ""
	var k: int = int(result.get("classes", 0))
	out["classes"] = k
	out["chance"] = 1.0 / k if k > 0 else NAN
	for i in PROBE_KEYS.size():
		if typeof(result.get(PROBE_KEYS[i])) in [TYPE_FLOAT, TYPE_INT]:
			out["names"].append(PROBE_NAMES[i])
			out["values"].append(float(result[PROBE_KEYS[i]]))
	var matrix: Variant = result.get("confusion")
	if matrix is Dictionary and VaeStudioArray.validate(matrix).is_empty():
		var shape: Array = (matrix as Dictionary)["shape"]
		if shape != [k, k]:
			out["error"] = "the confusion matrix is %s, not [%d, %d]" % [shape, k, k]
			return out
		out["confusion"] = VaeStudioArray.to_int32(matrix)
	var dci: Variant = result.get("dci")
	if typeof(result.get("mig")) in [TYPE_FLOAT, TYPE_INT] and dci is Dictionary:
		out["factor_names"] = PackedStringArray(
			["MIG", "DCI disentanglement", "DCI completeness", "DCI informativeness"]
		)
		var d: Dictionary = dci
		out["factor_values"] = PackedFloat32Array(
			[
				float(result["mig"]),
				float(d.get("disentanglement", NAN)),
				float(d.get("completeness", NAN)),
				float(d.get("informativeness", NAN))
			]
		)
	if (out["names"] as PackedStringArray).is_empty() and out["factor_names"].is_empty():
		out["error"] = "the features reply carried no accuracies"
	return out


func _on_reply(request: VaeStudioRequest) -> void:
	running = false
	run_button.disabled = false
	cancel_button.disabled = true
	var seconds: float = (Time.get_ticks_msec() - _started_ms) / 1000.0
	if request.is_ok():
		shown = figures_from(request.result())
		error = str(shown["error"])
	else:
		error = StudioSession.describe_failure(request)
		if request.error_code() == "cancelled":
			error = "Cancelled: nothing was measured."
	if not error.is_empty():
		UseCaseStyleTiles.set_message(_status, error, true)
		figures_shown.emit(false)
		return
	probe_bars.set_bars(shown["names"], shown["values"])
	probe_bars.marker = shown["chance"]
	probe_bars.marker_name = "chance %.2f" % float(shown["chance"])
	var k: int = shown["classes"]
	if (shown["confusion"] as PackedInt32Array).size() == k * k:
		confusion.set_matrix(shown["confusion"], k, UseCaseStyleTiles.class_names())
	var factors: bool = not (shown["factor_names"] as PackedStringArray).is_empty()
	_show_factors(factors)
	if factors:
		factor_bars.set_bars(shown["factor_names"], shown["factor_values"])
	var classes: String = "%d classes" % k if k > 0 else "no labels: factors only"
	var what: String = "model at step %d · %s · %.1f s" % [measured_step, classes, seconds]
	UseCaseStyleTiles.set_message(_status, what)
	figures_shown.emit(true)


func _show_running() -> void:
	if running:
		var seconds: float = (Time.get_ticks_msec() - _started_ms) / 1000.0
		UseCaseStyleTiles.set_message(_status, "running… %.0f s (fitting probes)" % seconds)


func _show_factors(on: bool) -> void:
	_factor_title.text = (
		"Disentanglement (ground-truth factors)"
		if on
		else "MIG / DCI: only for data with ground-truth factors (shapes)"
	)
	factor_bars.visible = on


func _bars(parent: Control, height: float) -> UseCaseFeaturesBars:
	var bars := UseCaseFeaturesBars.new()
	bars.custom_minimum_size = Vector2(260, height)
	bars.colours = PackedColorArray(
		[StudioPalette.ACCENT, StudioPalette.RECON, StudioPalette.KL, StudioPalette.OK]
	)
	parent.add_child(bars)
	return bars


func _title(parent: Control, text: String) -> Label:
	var label := Label.new()
	label.text = text
	label.theme_type_variation = &"HeaderSmall"
	label.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART  # a narrow window wraps it
	parent.add_child(label)
	return label


func _button(parent: Control, text: String, tip: String) -> Button:
	var button := Button.new()
	button.text = text
	button.tooltip_text = tip
	button.custom_minimum_size = Vector2(90, 0)
	parent.add_child(button)
	return button

class_name DashboardChartPanel
extends VBoxContainer
## The Dashboard's metrics chart with its controls: a smoothing slider (TensorBoard's EMA
## weight), a log/linear toggle, "Whole run" (undo a zoom) and a legend of every numeric series
## the run reports, each a checkbox that shows or hides its line.

## Shown from the start (test_loss joins them once an evaluation arrives).
const DEFAULT_SERIES: Array[String] = ["loss", "recon", "kl", "test_loss"]

var chart: MetricsChart
var smoothing_slider: HSlider
var log_toggle: CheckBox
## Series name -> its legend CheckBox.
var toggles: Dictionary = {}

var _smoothing_value: Label
var _whole_run: Button
var _legend: VBoxContainer
var _span_label: Label
## Series the user switched on or off: their choice outlives new series appearing.
var _chosen: Dictionary = {}


func _ready() -> void:
	add_theme_constant_override("separation", 4)
	add_child(_make_toolbar())
	var body := HBoxContainer.new()
	body.size_flags_vertical = Control.SIZE_EXPAND_FILL
	body.add_theme_constant_override("separation", 6)
	add_child(body)
	chart = MetricsChart.new()
	chart.name = "MetricsChart"
	chart.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	chart.custom_minimum_size = Vector2(300, 160)
	chart.view_changed.connect(_refresh_controls)
	body.add_child(chart)
	var scroll := ScrollContainer.new()
	scroll.custom_minimum_size = Vector2(128, 0)
	scroll.horizontal_scroll_mode = ScrollContainer.SCROLL_MODE_DISABLED
	body.add_child(scroll)
	_legend = VBoxContainer.new()
	_legend.add_theme_constant_override("separation", 0)
	scroll.add_child(_legend)
	chart.shown = PackedStringArray(DEFAULT_SERIES)
	StudioSession.history_changed.connect(_refresh_legend)
	_refresh_legend()
	_refresh_controls()


func _make_toolbar() -> HBoxContainer:
	var bar := HBoxContainer.new()
	bar.add_theme_constant_override("separation", 8)
	var title := Label.new()
	title.text = "Metrics"
	title.theme_type_variation = &"HeaderSmall"
	bar.add_child(title)
	var label := Label.new()
	label.text = "Smoothing"
	label.theme_type_variation = &"DimLabel"
	bar.add_child(label)
	smoothing_slider = HSlider.new()
	smoothing_slider.name = "Smoothing"
	smoothing_slider.min_value = 0.0
	smoothing_slider.max_value = 0.99
	smoothing_slider.step = 0.01
	smoothing_slider.value = 0.6
	smoothing_slider.custom_minimum_size = Vector2(120, 0)
	smoothing_slider.size_flags_vertical = Control.SIZE_SHRINK_CENTER
	smoothing_slider.tooltip_text = "EMA weight, as TensorBoard: 0 raw, 0.99 very smooth"
	smoothing_slider.value_changed.connect(_on_smoothing_changed)
	bar.add_child(smoothing_slider)
	_smoothing_value = Label.new()
	_smoothing_value.custom_minimum_size = Vector2(32, 0)
	bar.add_child(_smoothing_value)
	log_toggle = CheckBox.new()
	log_toggle.text = "log y"
	log_toggle.button_pressed = true
	log_toggle.toggled.connect(func(on: bool) -> void: chart.log_y = on)
	bar.add_child(log_toggle)
	_whole_run = Button.new()
	_whole_run.text = "Whole run"
	_whole_run.tooltip_text = "Undo the zoom (or double-click the chart)"
	_whole_run.pressed.connect(func() -> void: chart.reset_zoom())
	bar.add_child(_whole_run)
	_span_label = Label.new()
	_span_label.theme_type_variation = &"DimLabel"
	_span_label.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_span_label.horizontal_alignment = HORIZONTAL_ALIGNMENT_RIGHT
	_span_label.clip_text = true
	_span_label.tooltip_text = "Wheel: zoom over steps · drag: a range · double-click: whole run"
	bar.add_child(_span_label)
	return bar


## Shows or hides a series as its legend checkbox does.
func set_series(series: String, on: bool) -> void:
	_chosen[series] = on
	chart.set_series(series, on)
	if toggles.has(series):
		(toggles[series] as CheckBox).set_pressed_no_signal(on)


func _on_smoothing_changed(value: float) -> void:
	chart.smoothing = value


func _refresh_controls() -> void:
	_smoothing_value.text = "%.2f" % chart.smoothing
	_whole_run.disabled = chart.zoom == Vector2.ZERO
	var history: StudioMetrics = chart.metrics
	if history == null or history.last_step() < 0:
		_span_label.text = "wheel: zoom · drag: range"
		return
	var span: String = "steps %d–%d" % [history.first_step(), history.last_step()]
	if chart.zoom != Vector2.ZERO:
		span = "zoomed: steps %d–%d" % [roundi(chart.zoom.x), roundi(chart.zoom.y)]
	_span_label.text = span


## One checkbox per series the run has, in its line colour; new series appear as they come.
func _refresh_legend() -> void:
	var names: PackedStringArray = StudioSession.metrics_history.names()
	for series: String in names:
		if toggles.has(series):
			continue
		var box := CheckBox.new()
		box.text = series
		box.name = "Series_%s" % series
		box.add_theme_color_override("font_color", MetricsChart.color_of(series))
		box.add_theme_color_override("font_pressed_color", MetricsChart.color_of(series))
		box.add_theme_font_size_override("font_size", 12)
		# No button frame: a dozen series fit the chart's height as a plain list.
		for state: String in ["normal", "hover", "pressed", "hover_pressed", "focus"]:
			box.add_theme_stylebox_override(state, StyleBoxEmpty.new())
		var on: bool = bool(_chosen.get(series, series in DEFAULT_SERIES))
		box.button_pressed = on
		box.toggled.connect(func(on: bool) -> void: set_series(series, on))
		toggles[series] = box
		_legend.add_child(box)
	# Alphabetical as series join; a series the live run lacks (another model's) hides.
	for i in names.size():
		_legend.move_child(toggles[names[i]], i)
	for series: String in toggles:
		(toggles[series] as CheckBox).visible = names.has(series)
	_refresh_controls()

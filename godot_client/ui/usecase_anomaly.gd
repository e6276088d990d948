class_name UseCaseAnomaly
extends VBoxContainer
## The Anomaly page: the live model scores test rows by how unusual they are (the `anomaly` op:
## the negative ELBO in nats, protocol §5.4). Classes ticked as positives give the ROC curve with
## its AUC and average precision; the score histogram colours the positives apart; the most
## unusual rows are shown as tiles with their scores; a threshold slider flags the rows at or
## above it, and the latent view rings them ([member StudioSession.highlighted_rows]). "Train
## without" starts a new run whose training split leaves one class out (data option
## `exclude_labels`), so that class can then be found as the unusual one.

## A reply of this page's `anomaly` request was shown; when `ok` is false [member error] says why.
signal result_shown(ok: bool)
## The most unusual rows' tiles were filled from their `data.get` reply.
signal tiles_shown(ok: bool)

const HISTOGRAM_BINS: int = 24
const UNUSUAL_ROWS: int = 8
## The share of rows the threshold flags after each new scoring.
const START_SHARE: float = 0.1
const POSITIVE_COLOR := StudioPalette.KL
const OTHER_COLOR := StudioPalette.RECON

## The last reply as read, and the threshold (nats) now on the slider.
var scored: UseCaseAnomalyScores
var threshold: float = 0.0
## The rows (positions in the reply) the threshold flags, and the most unusual ones shown.
var flagged := PackedInt32Array()
var unusual := PackedInt32Array()
var last_args: Dictionary = {}
## The run "train without" started (from its reply) and the class it leaves out.
var started_run: String = ""
var started_without: int = -1
var results_shown: int = 0
var error: String = ""
var message: String = ""
var busy: bool = false

var score_button := Button.new()
var threshold_slider := HSlider.new()
var latent_button := Button.new()
var exclude_option := OptionButton.new()
var exclude_button := Button.new()
var histogram := UseCasePlot.new()
var roc_plot := UseCasePlot.new()
var tiles := UseCaseTiles.new()
## One check box per class (positives), rebuilt when the class count changes.
var class_boxes: Array[CheckBox] = []

var _classes := HFlowContainer.new()
var _threshold_text := Label.new()
var _message := Label.new()
var _tile_cells: Array = []
## The class count the check boxes were made for (-1: not yet).
var _class_count: int = -1


func _ready() -> void:
	add_theme_constant_override("separation", 6)
	var header := HBoxContainer.new()
	add_child(header)
	score_button.text = "Score test rows"
	header.add_child(score_button)
	header.add_child(_text("  positives:"))
	_classes.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	header.add_child(_classes)
	header.add_child(_text("train without"))
	header.add_child(exclude_option)
	exclude_button.text = "New run"
	exclude_button.tooltip_text = "Starts a run whose training split leaves this class out"
	header.add_child(exclude_button)
	var body := HBoxContainer.new()
	body.size_flags_vertical = Control.SIZE_EXPAND_FILL
	add_child(body)
	var plots := VBoxContainer.new()
	plots.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	plots.size_flags_stretch_ratio = 1.4
	body.add_child(plots)
	for plot: UseCasePlot in [histogram, roc_plot]:
		plot.size_flags_vertical = Control.SIZE_EXPAND_FILL
		plot.custom_minimum_size = Vector2(260, 150)
		plots.add_child(plot)
	histogram.title = "Scores (nats; higher = more unusual)"
	histogram.x_label = "score (nats)"
	histogram.y_label = "rows"
	roc_plot.title = "ROC curve"
	roc_plot.x_label = "false-positive rate"
	roc_plot.y_label = "true-positive rate"
	roc_plot.set_ranges(Vector2(0, 1), Vector2(0, 1))
	roc_plot.note_at_bottom = true
	body.add_child(_side_column())
	_message.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_message)
	score_button.pressed.connect(refresh)
	threshold_slider.value_changed.connect(_on_threshold_changed)
	latent_button.pressed.connect(show_latent_view)
	exclude_button.pressed.connect(train_without)
	visibility_changed.connect(_on_shown)
	StudioSession.status_received.connect(func(_s: Dictionary) -> void: _sync_classes())
	StudioSession.run_changed.connect(func(_run: String) -> void: _forget())
	tiles.show_placeholder("The most unusual rows appear here.")


func _side_column() -> VBoxContainer:
	var side := VBoxContainer.new()
	side.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	side.add_child(_text("Most unusual rows"))
	tiles.size_flags_vertical = Control.SIZE_EXPAND_FILL
	tiles.custom_minimum_size = Vector2(200, 160)
	side.add_child(tiles)
	side.add_child(_text("Flag rows scoring at least"))
	threshold_slider.step = 0.0
	threshold_slider.editable = false
	side.add_child(threshold_slider)
	_threshold_text.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	side.add_child(_threshold_text)
	latent_button.text = "Show flagged rows in the latent view"
	side.add_child(latent_button)
	return side


## Scores the test rows with the ticked positives; while a request is out the newest waits.
func refresh() -> void:
	if busy:
		return
	if not StudioSession.connected:
		_show("The backend is not connected.", StudioPalette.TEXT_DIM)
		return
	if not StudioSession.supports("anomaly"):
		_fail("this backend has no `anomaly` op (it predates the use cases)")
		return
	last_args = {"seed": 0}
	var positives: PackedInt32Array = positive_labels()
	if not positives.is_empty():
		last_args["positive_labels"] = Array(positives)
	busy = true
	StudioSession.send("anomaly", last_args, _on_reply.bind(positives))


## The classes ticked as positives.
func positive_labels() -> PackedInt32Array:
	var out := PackedInt32Array()
	for i in class_boxes.size():
		if class_boxes[i].button_pressed:
			out.append(i)
	return out


## Ticks class `label` as a positive (as a click on its box does), then scores again.
func tick_positive(label: int) -> void:
	_sync_classes()
	if label >= 0 and label < class_boxes.size():
		class_boxes[label].button_pressed = true


## Moves the threshold slider to `nats`; the flagged rows follow.
func set_threshold(nats: float) -> void:
	threshold_slider.value = nats


## Opens the latent view (the main area's first view), where the flagged rows are ringed.
func show_latent_view() -> void:
	var views: TabContainer = owner.get_node_or_null("%Views") if owner != null else null
	var view: Control = owner.get_node_or_null("%LatentView") if owner != null else null
	if views != null and view != null:
		views.current_tab = view.get_parent().get_index()


## Starts a new run of the live model whose training split leaves out the class picked under
## "train without" (its test split keeps it).
func train_without() -> void:
	var model: Dictionary = StudioSession.model_info()
	var dataset: Variant = StudioSession.status.get("dataset")
	var label: int = exclude_option.get_selected_id()
	if model.is_empty() or not dataset is Dictionary or label < 0:
		_fail("pick a class to leave out of a labelled data set's training split first")
		return
	var args: Dictionary = {
		"model":
		{
			"name": model.get("name", "vae"),
			"latent_dim": StudioSession.latent_dim(),
			"arch": model.get("arch", "mlp"),
		},
		"data": {"name": (dataset as Dictionary).get("name", ""), "exclude_labels": [label]},
	}
	_show("Starting a run trained without class %d…" % label, StudioPalette.TEXT_DIM)
	StudioSession.send("run.new", args, _on_new_run_reply.bind(label))


func _on_new_run_reply(request: VaeStudioRequest, label: int) -> void:
	if request.is_ok():
		started_run = str(request.result().get("run", ""))
		started_without = label
		_show(
			(
				(
					"New run %s trains without class %d; tick %d as the positive and score once it"
					% [request.result().get("run", "?"), label, label]
				)
				+ " has trained a while."
			),
			StudioPalette.OK
		)
	else:
		error = "run.new failed — %s" % StudioSession.describe_failure(request)
		_show(error, StudioPalette.ERROR)


## One check box per class of the live data set (none for unlabelled data).
func _sync_classes() -> void:
	var dataset: Variant = StudioSession.status.get("dataset")
	var count: int = (
		int((dataset as Dictionary).get("num_classes", 0)) if dataset is Dictionary else 0
	)
	if count == _class_count:
		return
	_class_count = count
	for box in class_boxes:
		box.queue_free()
	class_boxes.clear()
	exclude_option.clear()
	for label in count:
		var box := CheckBox.new()
		box.text = str(label)
		box.add_theme_color_override("font_color", StudioPalette.label_color(label))
		box.toggled.connect(func(_on: bool) -> void: refresh())
		_classes.add_child(box)
		class_boxes.append(box)
		exclude_option.add_item("class %d" % label, label)
	exclude_button.disabled = count == 0
	if count == 0:
		exclude_option.add_item("(unlabelled data)", -1)


func _on_shown() -> void:
	_sync_classes()
	if is_visible_in_tree() and results_shown == 0 and StudioSession.connected:
		refresh()


func _forget() -> void:
	StudioSession.highlighted_rows = PackedInt32Array()
	results_shown = 0
	if is_visible_in_tree():
		refresh()


func _on_reply(request: VaeStudioRequest, positives: PackedInt32Array) -> void:
	busy = false
	results_shown += 1
	var problem: String = ""
	if request.is_ok():
		var read: UseCaseAnomalyScores = UseCaseAnomalyScores.from_reply(
			request.result(), positives
		)
		problem = read.error
		if problem.is_empty():
			scored = read
	else:
		problem = StudioSession.describe_failure(request)
	if problem.is_empty():
		error = ""
		_show_scores()
	else:
		_fail(problem)
	result_shown.emit(problem.is_empty())
	if problem.is_empty() and positive_labels() != positives:
		refresh()


func _show_scores() -> void:
	var lo: float = scored.scores[0]
	var hi: float = scored.scores[0]
	for s in scored.scores:
		lo = minf(lo, s)
		hi = maxf(hi, s)
	threshold_slider.min_value = lo
	threshold_slider.max_value = hi
	threshold_slider.editable = true
	threshold = scored.quantile(START_SHARE)
	threshold_slider.set_value_no_signal(threshold)
	unusual = scored.most_unusual(UNUSUAL_ROWS)
	_draw_roc()
	_apply_threshold()
	var what: String = "%d test rows scored" % scored.scores.size()
	if not scored.positive_labels.is_empty():
		what += " · positives: class %s" % ", ".join(Array(scored.positive_labels).map(str))
	if not started_run.is_empty() and started_run == str(StudioSession.status.get("run", "")):
		what += " · this run trains without class %d" % started_without
	_show(what, StudioPalette.TEXT_DIM)
	_fetch_tiles()


func _draw_roc() -> void:
	roc_plot.clear()
	roc_plot.add_line(PackedVector2Array([Vector2.ZERO, Vector2.ONE]), StudioPalette.GRID_AXIS, "")
	if scored.roc.is_empty():
		var labelled: bool = not class_boxes.is_empty()
		roc_plot.note = (
			"tick a class as the positives" if labelled else "unlabelled data: no positives"
		)
		return
	roc_plot.add_line(scored.roc, StudioPalette.ACCENT, "")
	roc_plot.note = scored.figures_text()


func _on_threshold_changed(value: float) -> void:
	threshold = value
	_apply_threshold()


## Flags the rows at or above the threshold: the histogram's line, the tiles' frames, the text
## and the latent view's rings.
func _apply_threshold() -> void:
	if scored == null:
		return
	flagged = scored.flagged(threshold)
	var bins: Dictionary = scored.histogram(HISTOGRAM_BINS)
	histogram.clear()
	var positives: bool = not scored.positive_labels.is_empty()
	histogram.add_bars(bins["edges"], bins["others"], OTHER_COLOR, "others" if positives else "")
	if positives:
		histogram.add_bars(bins["edges"], bins["positives"], POSITIVE_COLOR, "positives")
	histogram.add_vline(threshold, StudioPalette.ACCENT, "threshold")
	var hits: int = 0
	for i in flagged:
		hits += 1 if scored.is_positive(i) else 0
	var text: String = (
		"%.1f nats: %d of %d rows flagged" % [threshold, flagged.size(), scored.scores.size()]
	)
	if positives:
		text += ", %d of them positives" % hits
	_threshold_text.text = text
	StudioSession.highlighted_rows = scored.rows_of(flagged)
	_fill_tiles()


## Asks for the most unusual rows' data to show them as tiles.
func _fetch_tiles() -> void:
	var rows: PackedInt32Array = scored.rows_of(unusual)
	if rows.is_empty():
		tiles.show_placeholder("Rows sent as x have no data-set rows to show.")
		return
	var args: Dictionary = {"indices": VaeStudioArray.from_int32(rows, [rows.size()])}
	StudioSession.send("data.get", args, _on_tiles_reply)


func _on_tiles_reply(request: VaeStudioRequest) -> void:
	_tile_cells = []
	if request.is_ok():
		var result: Dictionary = request.result()
		_tile_cells = UseCaseTiles.cells_of(result.get("images", result.get("values")))
	if _tile_cells.size() != unusual.size():
		var why: String = (
			StudioSession.describe_failure(request) if not request.is_ok() else "no rows came back"
		)
		error = "data.get of the unusual rows failed — %s" % why
		_show(error, StudioPalette.ERROR)
	_fill_tiles()
	tiles_shown.emit(_tile_cells.size() == unusual.size() and not unusual.is_empty())


func _fill_tiles() -> void:
	if _tile_cells.size() != unusual.size() or scored == null:
		return
	var rows: Array[Dictionary] = []
	for k in unusual.size():
		var i: int = unusual[k]
		var row: Dictionary = {
			"cells": [_tile_cells[k]],
			"caption": "#%d · %.1f" % [scored.indices[i], scored.scores[i]],
		}
		if scored.is_positive(i):
			row["caption"] += " ★"
		if flagged.has(i):
			row["highlight"] = StudioPalette.ACCENT
		rows.append(row)
	tiles.set_rows(PackedStringArray(), rows)


static func _text(text: String) -> Label:
	var label := Label.new()
	label.text = text
	return label


func _fail(problem: String) -> void:
	error = "anomaly failed — %s" % problem
	_show(error, StudioPalette.ERROR)


func _show(text: String, color: Color) -> void:
	message = text
	_message.text = text
	_message.add_theme_color_override("font_color", color)

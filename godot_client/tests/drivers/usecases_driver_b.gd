extends Node
## Operates the Style, Features and Generation pages as a user does (added by studio_driver.gd
## for `--use-case=style|features|generation`, which main.gd opens):
##   --use-case=style [--uc-pick=I,J,K] [--uc-rows=0,5] [--uc-analogy=A,B,C]
##     [--uc-attribute=FROM,TO,T]
##   --use-case=features [--uc-run-features]
##   --use-case=generation
## Style: waits for the first grid, analogy and attribute vector, then picks rows one after
## another as a click on their points in the latent view does (main.gd hands the view's
## row_selected to StudioDataPoint.inspect), types the rows and the
## analogy's rows into their fields (key events, Enter), picks the attribute's classes in the
## menus and clicks the t slider at T. Features: clicks Run and waits for the figures.
## Generation: waits for the samples and the quality figures. [method report] says what is shown.

const SETTLE_FRAMES: int = 3

var style_page: Control
var features_page: UseCaseFeaturesPage
var generation_page: Control
var finished: bool = false

var _use_case: String = ""
var _rows: String = ""
var _analogy: String = ""
var _attribute: PackedStringArray = []
var _run_features: bool = false
var _picks := PackedInt32Array()
## Steps still to do: each {"act": Callable, "until": Callable}.
var _steps: Array[Dictionary] = []
var _wait: int = 0
var _acted: bool = false
var _t0_hash: int = 0
var _t_hash: int = 0
var _t0_base_hash: int = 0
var _t_base_hash: int = 0
var _grid_before: int = 0
var _analogies_before: int = 0
var _decodes_before: int = 0
var _grid: UseCaseStyleGrid
var _analogy_part: UseCaseStyleAnalogy
var _attribute_part: UseCaseStyleAttribute


func configure(options: Dictionary) -> void:
	_use_case = str(options.get("use-case", "")).to_lower()
	_rows = str(options.get("uc-rows", ""))
	_analogy = str(options.get("uc-analogy", ""))
	var attribute: String = str(options.get("uc-attribute", ""))
	_attribute = attribute.split(",") if not attribute.is_empty() else PackedStringArray()
	_run_features = options.has("uc-run-features")
	_picks = UseCaseStyleTiles.parse_rows(str(options.get("uc-pick", "")))


func _ready() -> void:
	match _use_case:
		"style":
			_plan_style()
		"features":
			_plan_features()
		"generation":
			_steps.append({"act": Callable(), "until": _generation_shown})


func _process(_delta: float) -> void:
	if finished:
		return
	if _wait > 0:
		_wait -= 1
		return
	if _steps.is_empty():
		finished = true
		return
	var step: Dictionary = _steps[0]
	if not _acted:
		_acted = true
		var act: Callable = step["act"]
		if act.is_valid():
			act.call()
		_wait = SETTLE_FRAMES
		return
	if (step["until"] as Callable).call():
		_steps.pop_front()
		_acted = false
		_wait = SETTLE_FRAMES


func _plan_style() -> void:
	_grid = style_page.get_node("%Grid")
	_analogy_part = style_page.get_node("%Analogy")
	_attribute_part = style_page.get_node("%Attribute")
	_steps.append({"act": Callable(), "until": _style_first_shown})
	if not _picks.is_empty():
		_steps.append({"act": _note_analogies, "until": func() -> bool: return true})
	for row in _picks:
		_steps.append({"act": _pick_row.bind(row), "until": _row_picked.bind(row)})
	if _picks.size() >= 3:
		_steps.append({"act": Callable(), "until": _analogy_shown})
	if not _rows.is_empty():
		_steps.append({"act": _type_rows, "until": _rows_shown})
	if not _analogy.is_empty():
		_steps.append({"act": _type_analogy, "until": _analogy_shown})
	if _attribute.size() == 3:
		_steps.append({"act": _pick_classes, "until": _attribute_decoded})
		_steps.append({"act": _slide_t, "until": _t_shown})


func _plan_features() -> void:
	_steps.append({"act": Callable(), "until": _status_in})
	if _run_features:
		_steps.append({"act": _press_run, "until": _features_done})


func _pick_row(row: int) -> void:
	_grid_before = _grid.grids_drawn
	StudioDataPoint.inspect(row)


## The picked row is in and the grid drawn again with it on top.
func _row_picked(row: int) -> bool:
	var point: StudioDataPoint = StudioSession.data_point
	var in_view: bool = point != null and point.row == row and point.is_complete()
	return in_view and _grid.grids_drawn > _grid_before and not _grid.busy


## Before the picks: the third one draws the analogy.
func _note_analogies() -> void:
	_analogies_before = _analogy_part.analogies_drawn


func _type_rows() -> void:
	_grid_before = _grid.grids_drawn
	_type_into(_grid.rows_edit, _rows)


func _rows_shown() -> bool:
	return _grid.grids_drawn > _grid_before and not _grid.busy


func _type_analogy() -> void:
	_analogies_before = _analogy_part.analogies_drawn
	_type_into(_analogy_part.rows_edit, _analogy)


func _analogy_shown() -> bool:
	return _analogy_part.analogies_drawn > _analogies_before


func _pick_classes() -> void:
	_decodes_before = _attribute_part.decodes_shown
	_pick(_attribute_part.from_option, _attribute[0].to_int())
	_pick(_attribute_part.to_option, _attribute[1].to_int())


func _attribute_decoded() -> bool:
	return _attribute_part.decodes_shown > _decodes_before


## Notes z and z + 0·v as shown, then clicks the slider at t.
func _slide_t() -> void:
	_t0_hash = _cell_hash(_attribute_part.cells, 1)
	_t0_base_hash = _cell_hash(_attribute_part.cells, 0)
	_decodes_before = _attribute_part.decodes_shown
	_click_slider(_attribute_part.slider, _attribute[2].to_float())


func _t_shown() -> bool:
	if _attribute_part.decodes_shown <= _decodes_before:
		return false
	_t_hash = _cell_hash(_attribute_part.cells, 1)
	_t_base_hash = _cell_hash(_attribute_part.cells, 0)
	return is_equal_approx(_attribute_part.t, snappedf(_attribute[2].to_float(), 0.05))


func _press_run() -> void:
	_click(features_page.run_button.get_global_rect().get_center())


func _features_done() -> bool:
	var answered: bool = not features_page.shown.is_empty() or not features_page.error.is_empty()
	return not features_page.running and answered


func _status_in() -> bool:
	return StudioSession.connected and not StudioSession.status.is_empty()


func _style_first_shown() -> bool:
	var grid: UseCaseStyleGrid = style_page.get_node("%Grid")
	var analogy: UseCaseStyleAnalogy = style_page.get_node("%Analogy")
	var attribute: UseCaseStyleAttribute = style_page.get_node("%Attribute")
	var vector_in: bool = attribute.decodes_shown > 0 or not attribute.error.is_empty()
	return grid.grids_drawn > 0 and not grid.busy and analogy.analogies_drawn > 0 and vector_in


func _generation_shown() -> bool:
	var samples: SamplesPanel = generation_page.get_node("%GenerationSamples")
	var quality: UseCaseGenerationQuality = generation_page.get_node("%Quality")
	return samples.results_shown > 0 and quality.measured > 0 and not quality.busy


## Clicks the field, selects its text (Ctrl+A), types `text` key by key and presses Enter.
func _type_into(edit: LineEdit, text: String) -> void:
	_click(edit.get_global_rect().get_center())
	var select_all := InputEventKey.new()
	select_all.pressed = true
	select_all.keycode = KEY_A
	select_all.ctrl_pressed = true
	Input.parse_input_event(select_all)
	for ch in text:
		var key := InputEventKey.new()
		key.pressed = true
		key.unicode = ch.unicode_at(0)
		key.keycode = ch.unicode_at(0) as Key
		Input.parse_input_event(key)
	var enter := InputEventKey.new()
	enter.pressed = true
	enter.keycode = KEY_ENTER
	Input.parse_input_event(enter)


## Picks item `index` of a menu as a click on it does (the item_selected signal).
func _pick(option: OptionButton, index: int) -> void:
	option.select(index)
	option.item_selected.emit(index)


## Clicks the slider where `value` lies: a click on the track moves the grabber there.
func _click_slider(slider: HSlider, value: float) -> void:
	var rect: Rect2 = slider.get_global_rect()
	var grabber: float = slider.get_theme_icon("grabber").get_width()
	var ratio: float = (value - slider.min_value) / (slider.max_value - slider.min_value)
	var x: float = rect.position.x + grabber / 2.0 + ratio * (rect.size.x - grabber)
	_click(Vector2(x, rect.get_center().y))


func _click(at: Vector2) -> void:
	MouseInput.move(at)
	MouseInput.click(at)


static func _cell_hash(cells: Array, i: int) -> int:
	if i >= cells.size():
		return 0
	var cell: Variant = cells[i]
	return hash((cell as Image).get_data()) if cell is Image else hash(str(cell))


static func _hashes(cells: Array) -> Array:
	var out: Array = []
	for i in cells.size():
		out.append(_cell_hash(cells, i))
	return out


## What the page shows, for the screenshot report.
func report() -> Dictionary:
	var out: Dictionary = {"finished": finished, "use_case": _use_case}
	match _use_case:
		"style":
			out["style"] = _style_report()
		"features":
			out["features"] = _features_report()
		"generation":
			out["generation"] = _generation_report()
	return out


func _style_report() -> Dictionary:
	var grid: UseCaseStyleGrid = style_page.get_node("%Grid")
	var analogy: UseCaseStyleAnalogy = style_page.get_node("%Analogy")
	var attribute: UseCaseStyleAttribute = style_page.get_node("%Attribute")
	var cells: Array = grid.shown.get("cells", [])
	var result: Dictionary = {
		"grid_rows": grid.shown.get("rows", 0),
		"grid_cols": grid.shown.get("cols", 0),
		"grid_sources": Array(grid.sources),
		"grid_titles": Array(grid.tiles.titles),
		"grid_captions": grid.tiles.rows.map(func(r: Dictionary) -> String: return r["caption"]),
		"grid_cells": cells.size(),
		"grid_distinct": ReportValues.distinct(_hashes(cells)),
		"grid_image_cells": cells.filter(func(c: Variant) -> bool: return c is Image).size(),
		"grid_error": grid.error,
		"grid_rect": ReportValues.rect_of(grid.tiles),
		"analogy_rows": Array(analogy.rows),
		"analogy_z": Array(analogy.shown.get("z", PackedFloat32Array())),
		"analogy_cells": (analogy.shown.get("cells", []) as Array).size(),
		"analogy_result_hash": _cell_hash(analogy.shown.get("cells", []), 3),
		"analogy_distinct": ReportValues.distinct(_hashes(analogy.shown.get("cells", []))),
		"analogy_error": analogy.error,
		"analogy_rect": ReportValues.rect_of(analogy.tiles),
		"attribute_from": attribute.from_option.selected,
		"attribute_to": attribute.to_option.selected,
		"attribute_norm": attribute.norm,
		"attribute_counts": attribute.counts,
		"attribute_vector_size": attribute.vector.size(),
		"attribute_t": attribute.t,
		"attribute_hash_t0": _t0_hash,
		"attribute_hash_t": _t_hash,
		"attribute_base_hash_t0": _t0_base_hash,
		"attribute_base_hash_t": _t_base_hash,
		"attribute_error": attribute.error,
		"attribute_rect": ReportValues.rect_of(attribute.tiles),
	}
	return result


func _features_report() -> Dictionary:
	var page: UseCaseFeaturesPage = features_page
	var shown: Dictionary = page.shown
	return {
		"names": Array(shown.get("names", PackedStringArray())),
		"values": Array(shown.get("values", PackedFloat32Array())),
		"chance": shown.get("chance", 0.0),
		"classes": shown.get("classes", 0),
		"confusion_classes": page.confusion.classes,
		"confusion_total": _total(page.confusion.counts),
		"confusion_names": Array(page.confusion.names),
		"confusion_row_sums": _row_sums(page.confusion.fractions, page.confusion.classes),
		"factor_names": Array(shown.get("factor_names", PackedStringArray())),
		"factor_values": Array(shown.get("factor_values", PackedFloat32Array())),
		"factor_bars_visible": page.factor_bars.is_visible_in_tree(),
		"measured_step": page.measured_step,
		"error": page.error,
		"probe_rect": ReportValues.rect_of(page.probe_bars),
		"confusion_rect": ReportValues.rect_of(page.confusion),
		"factor_rect": ReportValues.rect_of(page.factor_bars),
	}


static func _total(counts: PackedInt32Array) -> int:
	var total: int = 0
	for c in counts:
		total += c
	return total


static func _row_sums(fractions: PackedFloat32Array, k: int) -> Array:
	var sums: Array = []
	for r in k:
		var total: float = 0.0
		for c in k:
			total += fractions[r * k + c]
		sums.append(total)
	return sums


func _generation_report() -> Dictionary:
	var samples: SamplesPanel = generation_page.get_node("%GenerationSamples")
	var quality: UseCaseGenerationQuality = generation_page.get_node("%Quality")
	return {
		"samples_shown": samples.results_shown,
		"sample_hashes": ReportValues.distinct(_hashes(samples.images)),
		"samples_rect": ReportValues.rect_of(samples.grid_view()),
		"quality": quality.shown,
		"psnr_text": quality.psnr_label.text,
		"diversity_text": quality.diversity_label.text,
		"quality_error": quality.error,
		"measured_step": quality.measured_step,
		"quality_rect": ReportValues.rect_of(quality),
		"bars_rect": ReportValues.rect_of(quality.diversity_bars),
	}

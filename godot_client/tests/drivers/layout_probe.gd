extends Node
## Reports where the Studio's parts lie in the window (added by studio_driver.gd):
##   -- --layout-probe
## Once the run shows frames, metrics and a decode it opens every view of the main area (each
## use-case page too) and every side tab in turn, and notes each visible control that reaches
## outside its parent or the window (a cut-off part) and the corner pieces of the latent view
## that overlap; then it opens the latent view and the Training tab again for the picture.
## [method report] holds the rectangles of the header's and the readouts' parts, the latent
## view's corners and what was found.

## Frames each opened tab gets to lay itself out (containers sort their children deferred).
const SETTLE_FRAMES: int = 6
## A part may reach this far past its parent (rounding) before it counts as cut off.
const SLACK_PX: float = 1.0
## At most this many problems are listed per tab.
const MAX_LISTED: int = 12

var main: Control
var finished: bool = false

var _report: Dictionary = {}
## Pages whose content is larger than the page (they scroll): title -> the chain of widest
## parts ("name 620") that sets the width, or "taller" when only the height is larger.
var _scrolled: Dictionary = {}


func _ready() -> void:
	_run.call_deferred()


func report() -> Dictionary:
	return _report


func _run() -> void:
	await _until(_content_shown)
	var views: TabContainer = main.get_node("%Views")
	var use_cases: TabContainer = main.get_node("%UseCases")
	var side: TabContainer = main.get_node("%Tabs")
	var cut_off: Dictionary = {}
	for i in views.get_tab_count():
		views.current_tab = i
		var title: String = views.get_tab_title(i)
		if views.get_tab_control(i).is_ancestor_of(use_cases):
			for j in use_cases.get_tab_count():
				use_cases.current_tab = j
				await _frames(SETTLE_FRAMES)
				cut_off["%s/%s" % [title, use_cases.get_tab_title(j)]] = _cut_off_parts()
				_report_scrolled(use_cases.get_tab_title(j), use_cases.get_tab_control(j))
			continue
		await _frames(SETTLE_FRAMES)
		cut_off[title] = _cut_off_parts()
		_report_scrolled(title, views.get_tab_control(i))
	views.current_tab = 0
	for i in side.get_tab_count():
		side.current_tab = i
		await _frames(SETTLE_FRAMES)
		cut_off["side/" + side.get_tab_title(i)] = _cut_off_parts()
	side.current_tab = 0
	await _frames(SETTLE_FRAMES)
	var scrolled: Dictionary = _scrolled
	_report = _describe()
	_report["cut_off"] = cut_off
	_report["scrolled"] = scrolled
	finished = true


func _content_shown() -> bool:
	return (
		StudioSession.latent_frames >= 2
		and StudioSession.metrics_frames >= 1
		and StudioSession.decoded_images + StudioSession.decoded_vectors >= 1
		and not StudioSession.status.is_empty()
	)


## Where the header's, the readouts' and the latent view's parts are now.
func _describe() -> Dictionary:
	var window: Window = main.get_window()
	var bar: Control = main.get_node("%StatusBar")
	var header: Dictionary = {}
	for part: Control in bar.get_node("Row").get_children():
		if part.is_visible_in_tree():
			header[str(part.name)] = _rect(part)
	var readouts: Dictionary = {}
	var grid: Control = main.get_node("Layout/Body/Side/Tabs/Training/RunReadouts/Grid")
	for cell: Control in grid.get_children():
		var caption: Label = cell.get_child(0)
		readouts[caption.text] = _rect(cell)
	var view: LatentView = main.get_node("%LatentView")
	var corners: Dictionary = {}
	for part: String in ["Header", "Legend", "FitButton", "Hint"]:
		corners[part] = _rect(view.get_node(part))
	corners["x_caption"] = _rect2(view.get_global_transform() * view.x_caption_rect())
	var run_label: Label = bar.get_node("Row/Run")
	return {
		"viewport": [main.get_viewport_rect().size.x, main.get_viewport_rect().size.y],
		"window": [window.size.x, window.size.y],
		"min_size": [window.min_size.x, window.min_size.y],
		"content_scale": window.content_scale_factor,
		"header": header,
		"run_text": run_label.text,
		# How wide the text is up to the end of the run's name (the label cuts what follows).
		"run_name_width": _text_width(run_label, run_label.text.get_slice("   ·   ", 0)),
		"run_tooltip": run_label.tooltip_text,
		"readouts": readouts,
		"corners": corners,
		"side": _rect(main.get_node("Layout/Body/Side")),
		"image": _rect(main.get_node("%InspectorPanel").image_view()),
		"chart": _rect(main.get_node("Layout/Body/Side/Tabs/Training/ChartPanel")),
		"latent": _rect(view),
	}


func _report_scrolled(title: String, page: Control) -> void:
	var scroll := page as ScrollContainer
	if scroll == null or scroll.get_child_count() == 0:
		return
	var content: Control = scroll.get_child(0)
	var needs: Vector2 = content.get_combined_minimum_size()
	if needs.x <= scroll.size.x + SLACK_PX and needs.y <= scroll.size.y + SLACK_PX:
		return
	var chain: Array[String] = [
		"%d x %d in %d x %d" % [needs.x, needs.y, scroll.size.x, scroll.size.y]
	]
	var part: Control = content
	while part != null and needs.x > scroll.size.x + SLACK_PX:
		chain.append("%s %d" % [part.name, part.get_combined_minimum_size().x])
		var widest: Control = null
		for child: Node in part.get_children():
			var c := child as Control
			if c != null and c.visible:
				if (
					widest == null
					or c.get_combined_minimum_size().x > widest.get_combined_minimum_size().x
				):
					widest = c
		part = widest
	_scrolled[title] = chain


## Visible controls that reach past their parent (one that does not clip its children) or past
## the window: "path [x, y, w, h] outside [x, y, w, h]".
func _cut_off_parts() -> Array[String]:
	var found: Array[String] = []
	var screen: Rect2 = main.get_viewport_rect()
	_check(main, screen, found)
	return found


func _check(control: Control, bounds: Rect2, found: Array[String]) -> void:
	var rect: Rect2 = control.get_global_rect()
	if rect.size.x > 0.0 and rect.size.y > 0.0 and not bounds.grow(SLACK_PX).encloses(rect):
		if found.size() < MAX_LISTED:
			var needs: Vector2 = control.get_combined_minimum_size()
			found.append(
				(
					"%s %s outside %s (needs %d x %d)"
					% [main.get_path_to(control), _rect(control), _rect2(bounds), needs.x, needs.y]
				)
			)
		return  # the outermost part cut off names the place; its children move with it
	# Scrolled or clipped children may lie outside by design; what shows is the clip's own rect.
	if control is ScrollContainer or control.clip_contents:
		return
	for child: Node in control.get_children():
		var part := child as Control
		if part != null and part.is_visible_in_tree() and part.top_level == false:
			_check(part, rect.intersection(bounds), found)


static func _text_width(label: Label, text: String) -> float:
	var font: Font = label.get_theme_font("font")
	return font.get_string_size(text, 0, -1, label.get_theme_font_size("font_size")).x


static func _rect(control: Control) -> Array[float]:
	return _rect2(control.get_global_rect())


static func _rect2(rect: Rect2) -> Array[float]:
	return [
		snappedf(rect.position.x, 0.1),
		snappedf(rect.position.y, 0.1),
		snappedf(rect.size.x, 0.1),
		snappedf(rect.size.y, 0.1)
	]


func _until(condition: Callable) -> void:
	while not condition.call():
		await get_tree().process_frame


func _frames(count: int) -> void:
	for i in count:
		await get_tree().process_frame

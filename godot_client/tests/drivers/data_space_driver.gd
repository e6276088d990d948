extends Node
## Watches the Data tab (added by studio_driver.gd when `--tab=data`):
##   -- --tab=data [--data-recon-updates=N]
## Waits until the view has drawn every row it fetched and N reconstruction refreshes (default
## 2, so the model trained between them), or said the data are images, or showed an error; then
## [method report] says what was drawn and where the plot and the decoded marker are on screen.

var view: DataSpaceView
var recon_updates: int = 2
## True once what was asked for is on screen.
var finished: bool = false


func configure(options: Dictionary) -> void:
	var n: String = str(options.get("data-recon-updates", ""))
	if n.is_valid_int():
		recon_updates = n.to_int()


func _process(_delta: float) -> void:
	if finished:
		return
	if view.is_images or not view.error.is_empty():
		finished = true
		return
	finished = (
		not view.fetching
		and view.rows_total > 0
		and view.rows_drawn == view.rows_total
		and view.recon_updates >= recon_updates
		and view.reconstructions_drawn > 0
	)


## What the view drew, for the screenshot report.
func report() -> Dictionary:
	var bounds: Rect2 = view.data_bounds
	var out: Dictionary = {
		"finished": finished,
		"is_images": view.is_images,
		"message": view.message,
		"error": view.error,
		"dataset_rows": view.dataset_rows,
		"rows_total": view.rows_total,
		"rows_fetched": view.data_points.size(),
		"rows_drawn": view.rows_drawn,
		"value_width": view.value_width,
		"labels_distinct": ReportValues.distinct(Array(view.data_labels)),
		"data_bounds": [bounds.position.x, bounds.position.y, bounds.end.x, bounds.end.y],
		"reconstructions": view.reconstructions.size(),
		"reconstructions_drawn": view.reconstructions_drawn,
		"recon_updates": view.recon_updates,
		"plot_rect": ReportValues.rect_of(view.plot_view()),
		"decoded_marker": null,
		"decoded_values": Array(StudioSession.decoded_values),
	}
	if not view.reconstructions.is_empty():
		var recon: Rect2 = DataSpaceView.bounds_of(view.reconstructions)
		out["recon_bounds"] = [recon.position.x, recon.position.y, recon.end.x, recon.end.y]
	if view.has_marker:
		var at: Vector2 = view.to_screen(view.marker)
		out["decoded_marker"] = [view.marker.x, view.marker.y]
		out["decoded_marker_screen"] = [roundi(at.x), roundi(at.y)]
	return out

class_name LatentOverlay
extends Control
## Drawn over the latent view (a sibling on top of it, passing the pointer through): the pins as
## small numbered diamonds, the interpolation path as a polyline and the highlighted rows
## ([member StudioSession.highlighted_rows], e.g. the Anomaly page's flagged rows) as rings around
## their points, each projected on the newest frame's first two axes and placed with
## [method LatentView.to_screen]. Redraws when the view moves
## ([signal LatentView.view_transformed]), on each new frame while rows are highlighted, and when
## the pins, the path or the highlighted rows change.

const PIN_COLOR := Color("#ff7ad9")
const PATH_COLOR := Color("#7ee0ff")
const OUTLINE := Color(0.0, 0.0, 0.0, 0.7)
const PIN_RADIUS: float = 6.0
const HIGHLIGHT_COLOR := Color("#ffd23f")
const HIGHLIGHT_RADIUS: float = 5.5

## The view whose axes the pins and path are drawn on.
@export var view: LatentView

## How many pins and path points the last redraw placed (those of the live latent width).
var pins_drawn: int = 0
var path_points_drawn: int = 0
## How many highlighted rows the last redraw ringed (those the newest frame holds).
var highlights_drawn: int = 0


func _ready() -> void:
	mouse_filter = Control.MOUSE_FILTER_IGNORE
	if view != null:
		view.view_transformed.connect(queue_redraw)
	StudioSession.pins.changed.connect(queue_redraw)
	StudioSession.path_changed.connect(queue_redraw)
	StudioSession.highlight_changed.connect(queue_redraw)
	StudioSession.latent_received.connect(_on_latent_received)
	StudioSession.run_changed.connect(func(_run: String) -> void: queue_redraw())


func _draw() -> void:
	pins_drawn = 0
	path_points_drawn = 0
	highlights_drawn = 0
	var frame: StudioLatentFrame = StudioSession.latent
	if view == null or frame == null or frame.latent_dim == 0:
		return
	_draw_highlights(frame)
	var points := PackedVector2Array()
	for z in StudioSession.path:
		if z.size() == frame.latent_dim:
			points.append(to_local_point(frame.project_2d(z)))
	path_points_drawn = points.size()
	if points.size() >= 2:
		draw_polyline(points, OUTLINE, 4.0, true)
		draw_polyline(points, PATH_COLOR, 2.0, true)
		for p in points:
			draw_circle(p, 2.5, PATH_COLOR)
	var font: Font = get_theme_default_font()
	var pins: Array[PackedFloat32Array] = StudioSession.pins.items
	for i in pins.size():
		if pins[i].size() != frame.latent_dim:
			continue
		var at: Vector2 = to_local_point(frame.project_2d(pins[i]))
		var r: float = PIN_RADIUS
		var diamond := PackedVector2Array(
			[at + Vector2(0, -r), at + Vector2(r, 0), at + Vector2(0, r), at + Vector2(-r, 0)]
		)
		draw_colored_polygon(diamond, PIN_COLOR)
		diamond.append(diamond[0])
		draw_polyline(diamond, OUTLINE, 1.5, true)
		draw_string_outline(font, at + Vector2(r + 2, 4), str(i + 1), 0, -1, 12, 3, OUTLINE)
		draw_string(font, at + Vector2(r + 2, 4), str(i + 1), 0, -1, 12, PIN_COLOR)
		pins_drawn += 1


## Rings around the points of the highlighted rows (an outline under a bright ring, so they read
## on any class colour).
func _draw_highlights(frame: StudioLatentFrame) -> void:
	for row in StudioSession.highlighted_rows:
		var i: int = frame.point_of_row(row)
		if i < 0:
			continue
		var at: Vector2 = to_local_point(frame.point_2d(i))
		draw_arc(at, HIGHLIGHT_RADIUS, 0.0, TAU, 16, OUTLINE, 3.5, true)
		draw_arc(at, HIGHLIGHT_RADIUS, 0.0, TAU, 16, HIGHLIGHT_COLOR, 1.8, true)
		highlights_drawn += 1


## The points move with each frame; the rings follow them.
func _on_latent_received(_frame: StudioLatentFrame) -> void:
	if not StudioSession.highlighted_rows.is_empty():
		queue_redraw()


## Where `axes_point` (on the view's first two axes) lies in this control's own pixels.
func to_local_point(axes_point: Vector2) -> Vector2:
	var global: Vector2 = view.get_global_transform() * view.to_screen(axes_point)
	return get_global_transform().affine_inverse() * global

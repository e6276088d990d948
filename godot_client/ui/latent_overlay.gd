class_name LatentOverlay
extends Control
## Drawn over the latent view (a sibling on top of it, passing the pointer through): the pins as
## small numbered diamonds and the interpolation path as a polyline, each z projected on the
## newest frame's first two axes and placed with [method LatentView.to_screen]. Redraws when the
## view moves ([signal LatentView.view_transformed]) and when the pins or the path change.

const PIN_COLOR := Color("#ff7ad9")
const PATH_COLOR := Color("#7ee0ff")
const OUTLINE := Color(0.0, 0.0, 0.0, 0.7)
const PIN_RADIUS: float = 6.0

## The view whose axes the pins and path are drawn on.
@export var view: LatentView

## How many pins and path points the last redraw placed (those of the live latent width).
var pins_drawn: int = 0
var path_points_drawn: int = 0


func _ready() -> void:
	mouse_filter = Control.MOUSE_FILTER_IGNORE
	if view != null:
		view.view_transformed.connect(queue_redraw)
	StudioSession.pins.changed.connect(queue_redraw)
	StudioSession.path_changed.connect(queue_redraw)
	StudioSession.run_changed.connect(func(_run: String) -> void: queue_redraw())


func _draw() -> void:
	pins_drawn = 0
	path_points_drawn = 0
	var frame: StudioLatentFrame = StudioSession.latent
	if view == null or frame == null or frame.latent_dim == 0:
		return
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


## Where `axes_point` (on the view's first two axes) lies in this control's own pixels.
func to_local_point(axes_point: Vector2) -> Vector2:
	var global: Vector2 = view.get_global_transform() * view.to_screen(axes_point)
	return get_global_transform().affine_inverse() * global

class_name StudioZMath
extends RefCounted
## Arithmetic on whole latent vectors z for the explore panels: paths between two z (linear or
## spherical), a z fitted to another latent width, and the rows of a batch decode.


## `steps` points from `a` to `b` (both included) on a straight line.
static func lerp_path(
	a: PackedFloat32Array, b: PackedFloat32Array, steps: int
) -> Array[PackedFloat32Array]:
	var path: Array[PackedFloat32Array] = []
	if a.size() != b.size() or steps < 2:
		return path
	for s in steps:
		var t: float = float(s) / float(steps - 1)
		var z := PackedFloat32Array()
		z.resize(a.size())
		for d in a.size():
			z[d] = lerpf(a[d], b[d], t)
		path.append(z)
	return path


## `steps` points from `a` to `b` (both included) on an arc: the direction turns by equal angles
## (spherical interpolation of the unit vectors) while the length goes linearly from |a| to |b|,
## so the points keep the norm of typical prior samples instead of cutting through the origin.
## Endpoints that point the same or opposite way, or a zero endpoint, fall back to a line.
static func slerp_path(
	a: PackedFloat32Array, b: PackedFloat32Array, steps: int
) -> Array[PackedFloat32Array]:
	var na: float = norm(a)
	var nb: float = norm(b)
	if a.size() != b.size() or steps < 2 or na < 1e-8 or nb < 1e-8:
		return lerp_path(a, b, steps)
	var cos_omega: float = clampf(dot(a, b) / (na * nb), -1.0, 1.0)
	var omega: float = acos(cos_omega)
	var sin_omega: float = sin(omega)
	if sin_omega < 1e-4:
		return lerp_path(a, b, steps)
	var path: Array[PackedFloat32Array] = []
	for s in steps:
		var t: float = float(s) / float(steps - 1)
		var wa: float = sin((1.0 - t) * omega) / sin_omega / na
		var wb: float = sin(t * omega) / sin_omega / nb
		var length: float = lerpf(na, nb, t)
		var z := PackedFloat32Array()
		z.resize(a.size())
		for d in a.size():
			z[d] = (wa * a[d] + wb * b[d]) * length
		path.append(z)
	# The ends exactly as given (no rounding through sin/cos).
	path[0] = a.duplicate()
	path[steps - 1] = b.duplicate()
	return path


## `z` fitted to `width` dimensions: cut, or padded with `fill`'s own values (e.g. the new
## frame's center; zeros where `fill` is too short).
static func resize(
	z: PackedFloat32Array, width: int, fill: PackedFloat32Array
) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	out.resize(maxi(width, 0))
	for d in out.size():
		if d < z.size():
			out[d] = z[d]
		elif d < fill.size():
			out[d] = fill[d]
		else:
			out[d] = 0.0
	return out


## The rows of `path` one after another, for a `decode` request's z [rows, latent_dim].
static func flatten(path: Array[PackedFloat32Array]) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	for z in path:
		out.append_array(z)
	return out


static func dot(a: PackedFloat32Array, b: PackedFloat32Array) -> float:
	var total: float = 0.0
	for d in mini(a.size(), b.size()):
		total += a[d] * b[d]
	return total


static func norm(z: PackedFloat32Array) -> float:
	return sqrt(dot(z, z))

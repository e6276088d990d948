class_name ChartMath
extends RefCounted
## The numbers behind the Studio's charts: TensorBoard's smoothing, axis ranges and ticks.


## TensorBoard's scalar smoothing: an exponential moving average with weight `weight` (0 = the
## raw values, 0.99 = very smooth), debiased so the first points are not pulled towards zero:
## last = w·last + (1 − w)·v; smoothed = last / (1 − wⁿ) after n values. A constant series or a
## non-finite value passes through unchanged.
static func ema(values: PackedFloat32Array, weight: float) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	out.resize(values.size())
	var w: float = clampf(weight, 0.0, 0.999)
	var constant: bool = true
	for value in values:
		constant = constant and value == values[0]
	var last: float = 0.0
	var count: int = 0
	for i in values.size():
		var value: float = values[i]
		if constant or not is_finite(value):
			out[i] = value
			continue
		last = last * w + (1.0 - w) * value
		count += 1
		out[i] = last / (1.0 - pow(w, count))
	return out


## The index range [from, to) of the ascending `steps` inside [lo, hi], widened by one point
## each side so a zoomed line runs to the plot's edges.
static func visible_range(steps: PackedFloat64Array, lo: float, hi: float) -> Vector2i:
	var from: int = maxi(steps.bsearch(lo) - 1, 0)
	var to: int = mini(steps.bsearch(hi, false) + 1, steps.size())
	return Vector2i(from, to)


## Tick values for a linear axis over [lo, hi]: about `count` steps of 1, 2 or 5 × 10ᵏ.
static func linear_ticks(lo: float, hi: float, count: int = 5) -> PackedFloat64Array:
	var ticks := PackedFloat64Array()
	if not hi > lo:
		return ticks
	var raw: float = (hi - lo) / maxi(count, 1)
	var power: float = pow(10.0, floorf(log(raw) / log(10.0)))
	var unit: float = power
	for mult: float in [1.0, 2.0, 5.0, 10.0]:
		unit = mult * power
		if unit >= raw:
			break
	var tick: float = ceilf(lo / unit) * unit
	while tick <= hi + unit * 1e-6:
		ticks.append(tick)
		tick += unit
	return ticks


## Tick values for a log axis over [10^log_lo, 10^log_hi]: the powers of ten, plus 2 and 5 times
## them when fewer than four decades are shown.
static func log_ticks(log_lo: float, log_hi: float) -> PackedFloat64Array:
	var ticks := PackedFloat64Array()
	var mults: Array[float] = [1.0]
	if log_hi - log_lo < 4.0:
		mults.append_array([2.0, 5.0])
	for power in range(floori(log_lo), ceili(log_hi) + 1):
		for mult: float in mults:
			var v: float = log10(mult * pow(10.0, power))
			if v >= log_lo - 1e-6 and v <= log_hi + 1e-6:
				ticks.append(mult * pow(10.0, power))
	return ticks


static func log10(value: float) -> float:
	return log(value) / log(10.0)


## The label of a tick on a linear axis whose ticks are `unit` apart: as many decimals as the
## unit needs, so neighbours never read the same (14.5 and 15 with unit 0.5, not 15 and 15).
static func tick_label(value: float, unit: float) -> String:
	if unit >= 1.0 or unit <= 0.0 or absf(value) >= 1e5:
		return short(value)
	var decimals: int = clampi(ceili(-log10(unit) - 1e-6), 0, 6)
	return String.num(value, decimals)


## A short label for an axis value or a readout: 1.2k, 35, 0.25, 3.0e-04.
static func short(value: float) -> String:
	var magnitude: float = absf(value)
	if magnitude == 0.0:
		return "0"
	if magnitude >= 1e5 or magnitude < 1e-3:
		# GDScript's % has no %e: mantissa and power of ten by hand, e.g. 3.0e-04.
		var power: int = floori(log10(magnitude))
		var mantissa: float = value / pow(10.0, power)
		if absf(mantissa) >= 9.95:
			mantissa /= 10.0
			power += 1
		return "%.1fe%s%02d" % [mantissa, "-" if power < 0 else "+", absi(power)]
	if magnitude >= 1000.0:
		return "%.1fk" % (value / 1000.0)
	if magnitude >= 10.0:
		return str(roundi(value))
	if magnitude >= 1.0:
		return String.num(value, 2)
	return String.num(value, 3)

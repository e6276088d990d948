class_name UseCaseAnomalyScores
extends RefCounted
## The numbers of an `anomaly` reply as the Anomaly page shows them: the rows and their scores
## (nats; higher = more unusual), which rows are positives, the score histogram split into
## positives and the others, the ROC curve's points, the most unusual rows and the rows a
## threshold flags.

## Data-set rows of the scored rows ([] when the request sent `x`).
var indices := PackedInt32Array()
## Each row's score in nats, [n].
var scores := PackedFloat32Array()
## Each row's label, [n] ([] for unlabelled data).
var labels := PackedInt32Array()
## The classes counted as positives in the request.
var positive_labels := PackedInt32Array()
## With positives: the area under the ROC curve, the average precision and the curve's points
## (false-positive rate, true-positive rate); NAN / [] without.
var auc: float = NAN
var average_precision: float = NAN
var roc := PackedVector2Array()
## What is wrong with the reply ("" when nothing is).
var error: String = ""


## Reads a reply (`positives`: the positive_labels the request sent).
static func from_reply(result: Dictionary, positives: PackedInt32Array) -> UseCaseAnomalyScores:
	var out := UseCaseAnomalyScores.new()
	out.positive_labels = positives
	out.scores = _array(result.get("scores"), "f32")
	out.indices = _array(result.get("indices"), "i32")
	out.labels = _array(result.get("labels"), "i32")
	var n: int = out.scores.size()
	if n == 0:
		out.error = "the reply carried no scores (f32 [n])"
	elif not out.indices.is_empty() and out.indices.size() != n:
		out.error = "indices [%d] and scores [%d] differ in length" % [out.indices.size(), n]
	elif not out.labels.is_empty() and out.labels.size() != n:
		out.error = "labels [%d] and scores [%d] differ in length" % [out.labels.size(), n]
	if result.has("auc"):
		out.auc = float(result["auc"])
		out.average_precision = float(result.get("average_precision", NAN))
		var fpr: PackedFloat32Array = _array(result.get("roc_fpr"), "f32")
		var tpr: PackedFloat32Array = _array(result.get("roc_tpr"), "f32")
		if fpr.size() != tpr.size():
			out.error = "roc_fpr [%d] and roc_tpr [%d] differ in length" % [fpr.size(), tpr.size()]
		for i in mini(fpr.size(), tpr.size()):
			out.roc.append(Vector2(fpr[i], tpr[i]))
	return out


## True for row `i` when its label is one of the positives.
func is_positive(i: int) -> bool:
	return i < labels.size() and positive_labels.has(labels[i])


## The score histogram over `bins` equal bins from the lowest to the highest score:
## {"edges": [bins + 1], "positives": [bins], "others": [bins]} (counts as floats).
func histogram(bins: int) -> Dictionary:
	var lo: float = INF
	var hi: float = -INF
	for s in scores:
		lo = minf(lo, s)
		hi = maxf(hi, s)
	if hi <= lo:
		hi = lo + 1.0
	var edges := PackedFloat32Array()
	for b in bins + 1:
		edges.append(lo + (hi - lo) * b / bins)
	var positives := PackedFloat32Array()
	var others := PackedFloat32Array()
	positives.resize(bins)
	others.resize(bins)
	for i in scores.size():
		var b: int = clampi(floori((scores[i] - lo) / (hi - lo) * bins), 0, bins - 1)
		if is_positive(i):
			positives[b] += 1.0
		else:
			others[b] += 1.0
	return {"edges": edges, "positives": positives, "others": others}


## The positions (0…n−1) of the `k` highest scores, highest first.
func most_unusual(k: int) -> PackedInt32Array:
	var order: Array = range(scores.size())
	order.sort_custom(func(a: int, b: int) -> bool: return scores[a] > scores[b])
	return PackedInt32Array(order.slice(0, mini(k, order.size())))


## The positions of the rows scoring at least `threshold`.
func flagged(threshold: float) -> PackedInt32Array:
	var out := PackedInt32Array()
	for i in scores.size():
		if scores[i] >= threshold:
			out.append(i)
	return out


## The data-set rows of `positions` ([] when the reply had no indices).
func rows_of(positions: PackedInt32Array) -> PackedInt32Array:
	var out := PackedInt32Array()
	if indices.is_empty():
		return out
	for i in positions:
		out.append(indices[i])
	return out


## The score that flags about `share` of the rows (the threshold slider's start).
func quantile(share: float) -> float:
	if scores.is_empty():
		return 0.0
	var sorted: PackedFloat32Array = scores.duplicate()
	sorted.sort()
	return sorted[clampi(roundi((1.0 - share) * (sorted.size() - 1)), 0, sorted.size() - 1)]


## "AUC 0.934 · AP 0.712", or "" without positives.
func figures_text() -> String:
	if is_nan(auc):
		return ""
	return "AUC %.3f · AP %.3f" % [auc, average_precision]


static func _array(arr: Variant, dtype: String) -> Variant:
	var ok: bool = arr is Dictionary and VaeStudioArray.validate(arr).is_empty()
	if dtype == "f32":
		var floats := PackedFloat32Array()
		return VaeStudioArray.to_float32(arr) if ok and arr["dtype"] == "f32" else floats
	var ints := PackedInt32Array()
	return VaeStudioArray.to_int32(arr) if ok and arr["dtype"] == "i32" else ints

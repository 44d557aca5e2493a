#pragma once
// A raster layer's CRS as QGIS shows it. The user may have assigned it (Layer Properties >
// Source > Assigned CRS) over the file's, or given one to a file that has none; mmreg reads the
// file, so the layer's CRS has to reach it explicitly, or the results would be computed in one
// CRS and shown in another.
#include <QString>

class QgsProcessingFeedback;
class QgsRasterLayer;

// `path`, when its file carries the layer's CRS already (or has no geotransform for a CRS to
// describe); otherwise a VRT in the Processing temporary folder that reads the file in the
// layer's CRS.
QString referenceInLayerCrs(const QString& path, const QgsRasterLayer& layer, QgsProcessingFeedback* feedback);

// The layer's CRS as WKT, for -s_srs, when it is not its file's and the file is georeferenced by a
// geotransform or GCPs (RPCs are in WGS 84 by definition); empty otherwise.
QString sensedLayerCrs(const QString& path, const QgsRasterLayer& layer, QgsProcessingFeedback* feedback);

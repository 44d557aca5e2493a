#pragma once
// The QGIS side of mmreg's option table (mmreg/option_table.h): one Processing parameter per
// declared option, and the values read back into the library's options.
#include <qgsprocessingalgorithm.h>

#include <vector>

#include "mmreg/coregister.h"

// The parameter definitions of the declared options in `scope` (a set of mmreg::OptionScope
// bits); Sink options are left to the algorithm. The caller takes ownership.
std::vector<QgsProcessingParameterDefinition*> declaredParameters(unsigned scope);

// Applies each declared option of `scope` that has a value to `options` with the option's own
// setter, as the CLI does; a bad value throws QgsProcessingException. Returns the destination
// outputs (name -> path) that were given.
QVariantMap applyDeclaredParameters(const QgsProcessingAlgorithm& algorithm, unsigned scope, const QVariantMap& parameters,
                                    QgsProcessingContext& context, mmreg::CoregisterOptions& options);

#include "declared_parameters.h"

#include <qgsprocessingparameters.h>

#include "mmreg/error.h"
#include "mmreg/option_table.h"

namespace {

using mmreg::OptionDecl;
using mmreg::OptionKind;

bool inScope(const OptionDecl& d, unsigned scope) { return !d.qgis.empty() && (d.scope & scope) && d.kind != OptionKind::Sink; }

QString fileFilter(const OptionDecl& d) {
  return QObject::tr("%1 files (*.%2)").arg(QString::fromStdString(d.fileExtension).toUpper(), QString::fromStdString(d.fileExtension));
}

QgsProcessingParameterDefinition* definition(const OptionDecl& d) {
  const QString name = QString::fromStdString(d.qgis), label = QObject::tr(d.label.c_str());
  const QString def = QString::fromStdString(mmreg::defaultValue(d));
  switch (d.kind) {
    case OptionKind::Flag:
      return new QgsProcessingParameterBoolean(name, label, def == QLatin1String("true"));
    case OptionKind::Integer:
      return new QgsProcessingParameterNumber(name, label, QgsProcessingParameterNumber::Integer, def.toInt(), false, d.minValue,
                                              d.maxValue);
    case OptionKind::Number:
      return new QgsProcessingParameterNumber(name, label, QgsProcessingParameterNumber::Double, def.isEmpty() ? QVariant() : def.toDouble(),
                                              def.isEmpty(), d.minValue, d.maxValue);
    case OptionKind::Choice: {
      QStringList options;
      for (const auto& c : d.choices) options << QString::fromStdString(c);
      return new QgsProcessingParameterEnum(name, label, options, false, options.indexOf(def));
    }
    case OptionKind::Text:
      return new QgsProcessingParameterString(name, label, def, false, true);
    case OptionKind::Bands:
      return new QgsProcessingParameterBand(name, label, QVariant(), QString::fromStdString(d.parentLayer), true, true);
    case OptionKind::File:
      return new QgsProcessingParameterFile(name, label, QgsProcessingParameterFile::File, QString::fromStdString(d.fileExtension),
                                            QVariant(), true);
    case OptionKind::Crs:
      return new QgsProcessingParameterCrs(name, label, QVariant(), true);
    case OptionKind::Destination:
      return new QgsProcessingParameterFileDestination(name, label, fileFilter(d), QVariant(), true);
    case OptionKind::Sink:
      break;
  }
  return nullptr;
}

// The parameter's value in the CLI's text form, one entry per repetition; empty when unset.
QStringList textValues(const QgsProcessingAlgorithm& a, const OptionDecl& d, const QVariantMap& p, QgsProcessingContext& c) {
  const QString name = QString::fromStdString(d.qgis);
  const QVariant given = p.value(name);
  const bool unset = !given.isValid() || given.isNull() || (given.type() == QVariant::String && given.toString().isEmpty());
  switch (d.kind) {
    case OptionKind::Flag:
      return {QgsProcessingParameters::parameterAsBoolean(a.parameterDefinition(name), p, c) ? QStringLiteral("true") : QStringLiteral("false")};
    case OptionKind::Integer:
      return {QString::number(QgsProcessingParameters::parameterAsInt(a.parameterDefinition(name), p, c))};
    case OptionKind::Number:
      if (unset && mmreg::defaultValue(d).empty()) return {};  // an optional number left empty
      return {QString::number(QgsProcessingParameters::parameterAsDouble(a.parameterDefinition(name), p, c), 'g', 17)};
    case OptionKind::Choice:
      return {QString::fromStdString(d.choices.at(static_cast<size_t>(QgsProcessingParameters::parameterAsEnum(a.parameterDefinition(name), p, c))))};
    case OptionKind::Text: {
      const QString v = QgsProcessingParameters::parameterAsString(a.parameterDefinition(name), p, c);
      return d.repeatable ? v.split('|', Qt::SkipEmptyParts) : (v.isEmpty() ? QStringList() : QStringList{v});
    }
    case OptionKind::Bands: {
      QStringList out;
      for (int b : QgsProcessingParameters::parameterAsInts(a.parameterDefinition(name), p, c)) out << QString::number(b);
      return out;
    }
    case OptionKind::File: {
      const QString v = QgsProcessingParameters::parameterAsFile(a.parameterDefinition(name), p, c);
      return v.isEmpty() ? QStringList() : QStringList{v};
    }
    case OptionKind::Crs: {
      const QgsCoordinateReferenceSystem crs = QgsProcessingParameters::parameterAsCrs(a.parameterDefinition(name), p, c);
      return crs.isValid() ? QStringList{crs.toWkt(QgsCoordinateReferenceSystem::WKT_PREFERRED_GDAL)} : QStringList();
    }
    case OptionKind::Destination: {
      const QString v = QgsProcessingParameters::parameterAsFileOutput(a.parameterDefinition(name), p, c);
      return v.isEmpty() ? QStringList() : QStringList{v};
    }
    case OptionKind::Sink:
      break;
  }
  return {};
}

}  // namespace

std::vector<QgsProcessingParameterDefinition*> declaredParameters(unsigned scope) {
  std::vector<QgsProcessingParameterDefinition*> out;
  for (const auto& d : mmreg::optionTable()) {
    if (!inScope(d, scope)) continue;
    QgsProcessingParameterDefinition* p = definition(d);
    p->setHelp(QObject::tr(d.help.c_str()));
    if (d.advanced) p->setFlags(p->flags() | QgsProcessingParameterDefinition::FlagAdvanced);
    out.push_back(p);
  }
  return out;
}

QVariantMap applyDeclaredParameters(const QgsProcessingAlgorithm& a, unsigned scope, const QVariantMap& p, QgsProcessingContext& c,
                                    mmreg::CoregisterOptions& o) {
  QVariantMap destinations;
  for (const auto& d : mmreg::optionTable()) {
    if (!inScope(d, scope)) continue;
    const QStringList values = textValues(a, d, p, c);
    try {
      for (const QString& v : values) {
        d.set(o, v.toStdString());
        mmreg::checkOptionValue(d, v.toStdString());
      }
    } catch (const mmreg::Error& e) {
      throw QgsProcessingException(QObject::tr("Parameter %1: %2").arg(QString::fromStdString(d.qgis), QString::fromUtf8(e.what())));
    }
    if (d.kind == OptionKind::Destination && !values.isEmpty()) destinations.insert(QString::fromStdString(d.qgis), values.front());
  }
  return destinations;
}

"""Run by QGIS desktop (qgis --code) in a test: writes which mmreg algorithms the Processing
registry holds to $MMREG_CHECK_OUT, then quits."""
import os

from qgis.PyQt.QtCore import QTimer
from qgis.core import QgsApplication


def check():
    provider = QgsApplication.processingRegistry().providerById("mmreg")
    ids = sorted(a.id() for a in provider.algorithms()) if provider else []
    with open(os.environ["MMREG_CHECK_OUT"], "w") as out:
        out.write(" ".join(ids) + "\n")
    QgsApplication.exit(0)


QTimer.singleShot(4000, check)

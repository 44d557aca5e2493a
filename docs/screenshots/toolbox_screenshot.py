"""Run by QGIS desktop at start-up (qgis --code): shows the mmreg algorithms in the Processing
toolbox and saves a screenshot of the main window to $MMREG_SCREENSHOT, then quits."""
import os

from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QDockWidget, QLineEdit, QTreeView
from qgis.core import QgsApplication
from qgis.utils import iface

OUT = os.environ.get("MMREG_SCREENSHOT", "/tmp/qgis_toolbox_mmreg.png")


def show_toolbox():
    toolbox = iface.mainWindow().findChild(QDockWidget, "ProcessingToolbox")
    if toolbox is None:
        QgsApplication.exit(3)
        return
    toolbox.show()
    toolbox.raise_()
    search = toolbox.findChild(QLineEdit)
    if search is not None:
        search.setText("mmreg")
    for tree in toolbox.findChildren(QTreeView):
        tree.expandAll()
    QTimer.singleShot(3000, grab)


def grab():
    iface.mainWindow().grab().save(OUT)
    QgsApplication.exit(0)


iface.mainWindow().showMaximized()
QTimer.singleShot(6000, show_toolbox)

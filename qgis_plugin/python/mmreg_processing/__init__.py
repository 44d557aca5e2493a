"""Loads the C++ mmreg Processing provider into QGIS (desktop or qgis_process).

The algorithms live in libmmreg_qgis.so next to this file; this module only hands that library
the address of QGIS's Processing registry, because qgis_process 3.22 cannot load C++ plugins.
"""
import ctypes
import os


def _library():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.environ.get("MMREG_QGIS_LIBRARY", os.path.join(here, "libmmreg_qgis.so"))
    if not os.path.exists(path):
        raise RuntimeError("mmreg: %s is missing; rebuild with -DMMREG_WITH_QGIS=ON and install" % path)
    lib = ctypes.CDLL(path)
    lib.mmreg_register_provider.argtypes = [ctypes.c_void_p]
    lib.mmreg_register_provider.restype = ctypes.c_bool
    lib.mmreg_unregister_provider.argtypes = [ctypes.c_void_p]
    return lib


def _registry_address():
    from qgis.core import QgsApplication
    try:
        from qgis.PyQt import sip
    except ImportError:
        import sip
    return sip.unwrapinstance(QgsApplication.processingRegistry())


class MmregProcessingPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.lib = None

    def initProcessing(self):
        self.lib = self.lib or _library()
        if not self.lib.mmreg_register_provider(_registry_address()):
            raise RuntimeError("mmreg: the Processing registry refused the mmreg provider")

    def initGui(self):
        self.initProcessing()

    def unload(self):
        if self.lib:
            self.lib.mmreg_unregister_provider(_registry_address())


def classFactory(iface):
    return MmregProcessingPlugin(iface)

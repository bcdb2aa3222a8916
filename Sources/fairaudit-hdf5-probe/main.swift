// fairaudit-hdf5-probe: parses one untrusted HDF5 file in its own process
// before fairaudit lets libhdf5 parse it in-process (see formats/HDF5/HDF5Probe.swift).
// Found by the library next to the running executable; not meant to be run by hand.
@_spi(HDF5Probe) import FormatHDF5
import Foundation

exit(HDF5ProbeProcess.main(CommandLine.arguments))

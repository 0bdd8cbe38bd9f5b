"""The toolkit's Apptainer images: definitions (one template, two bases), build, check, and
the ``apptainer exec`` command that runs array elements inside an image.

See ``containers/README.md``.
"""

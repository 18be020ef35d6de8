# PDFium (from the pypdfium2 build) carries its own FreeType, LittleCMS and
# OpenJPEG; it is loaded privately by the app and never shared.
ecabinet-app: embedded-library freetype [usr/lib/ecabinet-app/libpdfium.so]
ecabinet-app: embedded-library lcms2 [usr/lib/ecabinet-app/libpdfium.so]
ecabinet-app: embedded-library openjpeg [usr/lib/ecabinet-app/libpdfium.so]
# The app has no command-line interface of its own to document.
ecabinet-app: no-manual-page [usr/bin/ecabinet-app]

@echo off
rem `stats2` from an installed Stats2 app (Task Scheduler, terminals): the app's Electron runs the
rem built command as plain Node. It sits in the resources folder of the installation folder.
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\Stats2.exe" "%~dp0app.asar\out\cli\stats2.cjs" %*

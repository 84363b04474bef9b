<#
.SYNOPSIS
Builds, tests, demonstrates, benchmarks and fuzzes the MlpTools module.

.DESCRIPTION
The one front door for MlpTools. Run it from any folder with the pinned PowerShell:

    dotnet tool restore
    dotnet pwsh ./build.ps1 -Task Test

Every task that needs the module builds it first into output/MlpTools/<version>/, the folder
layout PowerShell expects (<version> is ModuleVersion in module/MlpTools.psd1). Tests, the
demo and benchmarks always import that built module in a fresh pwsh, never the sources.

.PARAMETER Task
Build  Publish src/MlpTools and lay out output/MlpTools/<version>/: the manifest, the format
       files and en-US help from module/, and the assemblies (MlpTools, MlpTools.Core,
       MathNet.Numerics, ...). The version folder is emptied first, so no stale file survives.
Test   Build the solution once, then run the xunit engine tests (tests/MlpTools.Core.Tests)
       and the Pester module tests (tests/Pester/*.Tests.ps1, Pester 5.7.1 from NuGet, in a
       fresh pwsh). Results land in output/TestResults/. The last line printed is
       "Tests: N passed, M failed" (", K skipped" follows when K > 0); the exit code is 1 when
       M > 0. A build failure or a runner that could not run counts as a failure.
Demo   Build, then run examples/Demo.ps1 in a fresh pwsh against the built module.
Bench  Build, then run the benchmarks (bench/MlpTools.Bench: peak, matrix products, epoch
       times; module import time; Fashion-MNIST load time and memory). With -Compare, the numpy
       and PyTorch peers in ../shared/bench run in the same session and ratios are printed.
Install  Build, then copy the module to MlpTools/<version>/ in your own module folder (the first folder of
       $env:PSModulePath under your home: ~/.local/share/powershell/Modules on Linux and macOS,
       Documents/PowerShell/Modules on Windows), or in -ModulePath. Any pwsh can then load it by name
       (Import-Module MlpTools), or simply run one of its cmdlets: PowerShell loads it on first use.
Clean  Remove output/ and every bin/ and obj/ folder under src/, tests/ and tools/.
Fuzz   Fuzz the file readers with AFL++ (afl-fuzz) for -Seconds each: -Target, or every target in turn. Publishes
       the harness tests/MlpTools.Fuzz into output/fuzz/bin, instruments that copy of MlpTools.Core.dll with sharpfuzz
       (the SharpFuzz.CommandLine tool that dotnet-tools.json pins), and runs afl-fuzz on it from the seeds in
       tests/fuzz-corpus/seeds/. A crash is an exception other than an MlpException escaping a reader; a hang, an
       input still running after 5 s (afl-fuzz -t 5000). Findings land in output/fuzz/<Target>/default/ (crashes/,
       hangs/, queue/, fuzzer_stats; an earlier run's folder is kept as <Target>.previous); a summary line per target
       follows. Exit code 1 when a crash or hang was found. When afl-fuzz is missing, it is installed with apt-get (Debian's
       afl++ package) if running as root; otherwise the task says what to install. Never part of Test.

.PARAMETER Configuration
The .NET build configuration: Release (the default) or Debug.

.PARAMETER ModulePath
Install only: the modules folder to install into, instead of your own module folder.

.PARAMETER Compare
Bench only: also run the peers (numpy + OpenBLAS, PyTorch and scikit-learn from ../shared/bench) beside ours.

.PARAMETER Seconds
Fuzz only: how long afl-fuzz runs on each target, in seconds (default 600).

.PARAMETER Target
Fuzz only: the reader to fuzz; default: each in turn. Csv (a delimited file, delimiter detected), Idx (an images
file and its labels file packed into one input), Model (a model file as it is) or ModelStructured (a model file
whose two SHA-256 checksums are recomputed before it is read, so changes reach the checks behind them).

.EXAMPLE
dotnet pwsh ./build.ps1

Builds the module into output/MlpTools/<version>/.

.EXAMPLE
dotnet pwsh ./build.ps1 -Task Test -Configuration Debug

Builds in Debug and runs every xunit and Pester test.

.EXAMPLE
dotnet pwsh ./build.ps1 -Task Fuzz -Target Model -Seconds 600

Fuzzes the model-file reader under afl-fuzz for ten minutes and prints its executions, speed, corpus, crashes and hangs.

.NOTES
The built module's manifest path is handed to tests and examples in the environment variable
MLPTOOLS_MODULE_PATH.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Install', 'Clean', 'Fuzz')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [switch] $Compare,

    [string] $ModulePath,

    [ValidateRange(1, 604800)]
    [int] $Seconds = 600,

    [ValidateSet('Csv', 'Idx', 'Model', 'ModelStructured')]
    [string] $Target
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$RepoRoot = $PSScriptRoot
$OutputRoot = Join-Path $RepoRoot 'output'
$ResultsDir = Join-Path $OutputRoot 'TestResults'
$ManifestSource = Join-Path $RepoRoot 'module/MlpTools.psd1'
# On CI, leave no MSBuild node running after the build.
$MSBuildSwitches = @(if ($env:CI -eq 'true') { '-nodeReuse:false' })

function Invoke-Process {
    <#
    Runs a native command attached to this console (so its output is never captured into a
    function's return value and keeps its colours) and returns its exit code.
    #>
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    $startInfo = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $startInfo.ArgumentList.Add($argument) }
    $startInfo.UseShellExecute = $false
    $startInfo.WorkingDirectory = $RepoRoot
    $process = [Diagnostics.Process]::Start($startInfo)
    $process.WaitForExit()
    return $process.ExitCode
}

function Invoke-Native {
    <# Runs a native command; throws if it exits non-zero. #>
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    $exitCode = Invoke-Process -FilePath $FilePath -ArgumentList $ArgumentList
    if ($exitCode -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $exitCode."
    }
}

function Get-PwshCommand {
    <#
    The command line that starts a fresh copy of the PowerShell running this script. Under
    `dotnet pwsh` (the local tool) the process is the dotnet host running $PSHOME/pwsh.dll.
    #>
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') {
        return @($exe, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($exe)
}

function Invoke-FreshPwsh {
    <# Runs a script file in a fresh pwsh -NoProfile -NonInteractive; returns its exit code. #>
    param(
        [Parameter(Mandatory)] [string] $File,
        [string[]] $ArgumentList = @()
    )
    $pwsh = @(Get-PwshCommand)
    $pwshArgs = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList
    return Invoke-Process -FilePath $pwsh[0] -ArgumentList $pwshArgs
}

function Get-ModuleVersion {
    $version = (Import-PowerShellDataFile -LiteralPath $ManifestSource).ModuleVersion
    # The assemblies carry <Version> from Directory.Build.props; keep the two in step.
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'Directory.Build.props'))
    $assemblyVersion = @($props.Project.PropertyGroup | ForEach-Object { $_.SelectSingleNode('Version') } |
        Where-Object { $_ } | ForEach-Object InnerText) | Select-Object -First 1
    if ($assemblyVersion -and $assemblyVersion -ne $version) {
        throw "ModuleVersion '$version' in module/MlpTools.psd1 differs from Version '$assemblyVersion' in Directory.Build.props; make them equal."
    }
    return $version
}

function Get-BuiltManifestPath {
    return Join-Path $OutputRoot "MlpTools/$(Get-ModuleVersion)/MlpTools.psd1"
}

function Invoke-BuildTask {
    <#
    Publishes src/MlpTools and lays out output/MlpTools/<version>/.
    -NoBuild publishes what an earlier `dotnet build` of the same configuration produced.
    #>
    param([switch] $NoBuild)

    $version = Get-ModuleVersion
    $moduleRoot = Join-Path $OutputRoot 'MlpTools'
    $moduleDir = Join-Path $moduleRoot $version
    $publishDir = Join-Path $OutputRoot 'publish'

    foreach ($dir in $publishDir, $moduleRoot) {
        if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
    }

    $publishArgs = @('publish', (Join-Path $RepoRoot 'src/MlpTools/MlpTools.csproj'),
        '-c', $Configuration, '-o', $publishDir, '-nologo') + $MSBuildSwitches
    if ($NoBuild) { $publishArgs += '--no-build' }
    Invoke-Native dotnet $publishArgs

    $null = New-Item -ItemType Directory -Path $moduleDir -Force

    # Module files: the manifest, format/type files and the en-US help folder.
    $moduleSrc = Join-Path $RepoRoot 'module'
    Copy-Item -LiteralPath $ManifestSource -Destination $moduleDir
    Get-ChildItem -LiteralPath $moduleSrc -Filter '*.ps1xml' -File | Copy-Item -Destination $moduleDir
    $help = Join-Path $moduleSrc 'en-US'
    if (Test-Path -LiteralPath $help) { Copy-Item -LiteralPath $help -Destination $moduleDir -Recurse }

    # Assemblies: ours and every dependency, but never PowerShell's own (the host supplies it).
    Get-ChildItem -LiteralPath $publishDir -File |
        Where-Object { $_.Extension -in '.dll', '.pdb' -or $_.Name -eq 'MlpTools.deps.json' } |
        Where-Object { $_.BaseName -ne 'System.Management.Automation' } |
        Copy-Item -Destination $moduleDir
    $native = Join-Path $publishDir 'runtimes'
    if (Test-Path -LiteralPath $native) { Copy-Item -LiteralPath $native -Destination $moduleDir -Recurse }

    Remove-Item -LiteralPath $publishDir -Recurse -Force
    Write-Host "Built module: $(Join-Path $moduleDir 'MlpTools.psd1')"
}

function Get-XunitCounts {
    <# Runs the engine tests (already built) and reads the counts from their TRX file. #>
    $trx = Join-Path $ResultsDir 'core.trx'
    $exitCode = Invoke-Process dotnet @('test', (Join-Path $RepoRoot 'tests/MlpTools.Core.Tests/MlpTools.Core.Tests.csproj'),
        '-c', $Configuration, '--no-build', '-nologo',
        '--logger', 'trx;LogFileName=core.trx', '--results-directory', $ResultsDir)

    if (-not (Test-Path -LiteralPath $trx)) {
        Write-Host "xunit: no results ($trx missing; dotnet test exited $exitCode)."
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    $run = ([xml](Get-Content -Raw -LiteralPath $trx)).TestRun
    $c = $run.ResultSummary.Counters
    # Skipped tests are in no counter: they are the results with outcome NotExecuted.
    $skipped = @($run.SelectNodes("//*[local-name()='UnitTestResult'][@outcome='NotExecuted']")).Count
    $failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
    if ($exitCode -ne 0 -and $failed -eq 0) {
        Write-Host "xunit: dotnet test exited $exitCode without a failed test; counting one failure."
        $failed = 1
    }
    return [pscustomobject]@{ Passed = [int]$c.passed; Failed = $failed; Skipped = $skipped }
}

function Get-PesterCounts {
    <# Runs every tests/Pester/*.Tests.ps1 against the built module in a fresh pwsh. #>
    $countsFile = Join-Path $ResultsDir 'pester-counts.json'
    Invoke-Native dotnet @('restore', (Join-Path $RepoRoot 'tools/Pester.proj'), '-nologo', '-v:quiet')

    $exitCode = Invoke-FreshPwsh -File (Join-Path $RepoRoot 'tools/Invoke-Pester.ps1') -ArgumentList @(
        '-ModulePath', (Get-BuiltManifestPath),
        '-ResultsDirectory', $ResultsDir,
        '-CountsPath', $countsFile)

    if (-not (Test-Path -LiteralPath $countsFile)) {
        Write-Host "Pester: no results ($countsFile missing; runner exited $exitCode)."
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    $c = Get-Content -Raw -LiteralPath $countsFile | ConvertFrom-Json
    return [pscustomobject]@{ Passed = [int]$c.Passed; Failed = [int]$c.Failed; Skipped = [int]$c.Skipped }
}

function Invoke-TestTask {
    <# Prints "Tests: N passed, M failed" as the very last line and returns the exit code. #>
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $times = [ordered]@{}
    $passed = 0; $failed = 0; $skipped = 0

    if (Test-Path -LiteralPath $ResultsDir) { Remove-Item -LiteralPath $ResultsDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $ResultsDir -Force

    $built = $false
    try {
        # One build of the whole solution; publish and test reuse it.
        Invoke-Native dotnet (@('build', (Join-Path $RepoRoot 'MlpTools.sln'), '-c', $Configuration, '-nologo') + $MSBuildSwitches)
        Invoke-BuildTask -NoBuild
        $built = $true
    }
    catch {
        Write-Host "Build failed: $_"
        $failed++
    }
    $times.Build = $clock.Elapsed.TotalSeconds

    if ($built) {
        foreach ($runner in 'xunit', 'Pester') {
            $start = $clock.Elapsed.TotalSeconds
            try {
                $counts = if ($runner -eq 'xunit') { Get-XunitCounts } else { Get-PesterCounts }
            }
            catch {
                Write-Host "${runner}: could not run: $_"
                $counts = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
            }
            $passed += $counts.Passed; $failed += $counts.Failed; $skipped += $counts.Skipped
            $times[$runner] = $clock.Elapsed.TotalSeconds - $start
            Write-Host ("{0}: {1} passed, {2} failed, {3} skipped" -f $runner, $counts.Passed, $counts.Failed, $counts.Skipped)
        }
    }

    Write-Host ('Time: ' + (($times.GetEnumerator() | ForEach-Object { '{0} {1:0.0}s' -f $_.Key, $_.Value }) -join ', ') +
        (', total {0:0.0}s' -f $clock.Elapsed.TotalSeconds))
    $line = "Tests: $passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host $line
    return [int]($failed -gt 0)
}

function Invoke-DemoTask {
    Invoke-BuildTask
    $demo = Join-Path $RepoRoot 'examples/Demo.ps1'
    $env:MLPTOOLS_MODULE_PATH = Get-BuiltManifestPath
    return Invoke-FreshPwsh -File $demo
}

function Invoke-BenchTask {
    <#
    The benchmarks: never part of Test. Prints
      - bench/MlpTools.Bench: the machine's fp32 peak, matrix-product GFLOP/s at the network's shapes and 1024^3, and
        seconds per Fashion-MNIST epoch (784-100-10 and 784-1024-10, batch 200; a synthetic set of that shape when the
        data is absent); with -Compare, the numpy and PyTorch peers from ../shared/bench interleaved with ours, as ratios;
      - module import time (fresh pwsh, median of 5);
      - Fashion-MNIST load time and peak memory (Import-Dataset, train and test) beside numpy's (load.py), when the
        data and the peers' Python are present.
    OpenBLAS 0.3.21 (Debian's) does not recognise AVX-512 CPUs of this kind and falls back to SSE3 kernels; on a CPU
    with AVX-512 and no OPENBLAS_CORETYPE set, the peers get OPENBLAS_CORETYPE=SkylakeX so they run at their best.
    #>
    param([switch] $Compare)
    Invoke-BuildTask
    $benchProject = Join-Path $RepoRoot 'bench/MlpTools.Bench'
    Invoke-Native dotnet (@('build', $benchProject, '-c', 'Release', '-nologo', '-v:quiet') + $MSBuildSwitches)
    # The compiler and MSBuild servers that the builds leave behind keep a core busy for a while: stop them, so that
    # the first measurements (the machine's peak among them) have the machine to themselves.
    $null = Invoke-Process dotnet @('build-server', 'shutdown')
    $peers = [IO.Path]::GetFullPath((Join-Path $RepoRoot '../shared/bench'))
    $python = '/usr/bin/python3'
    $benchArgs = @('--peers', $peers)
    if ($Compare) { $benchArgs += '--compare' }
    if (-not $env:OPENBLAS_CORETYPE -and [System.Runtime.Intrinsics.X86.Avx512F]::IsSupported) {
        $benchArgs += @('--openblas-coretype', 'SkylakeX')
    }
    & dotnet run -c Release --no-build --project $benchProject -- @benchArgs | Out-Host
    if ($LASTEXITCODE -ne 0) { return $LASTEXITCODE }

    $manifest = Get-BuiltManifestPath
    $pwsh = @(Get-PwshCommand)
    $pwshHost = $pwsh[0]
    $pwshPrefix = @($pwsh | Select-Object -Skip 1)

    $imports = foreach ($i in 1..5) {
        [double](& $pwshHost @pwshPrefix -NoProfile -NonInteractive -Command "(Measure-Command { Import-Module '$manifest' }).TotalSeconds" | Select-Object -Last 1)
    }
    $importMedian = ($imports | Sort-Object)[2]
    Write-Host ('module import: {0:N3} s median of 5 [{1:N3}-{2:N3}]' -f $importMedian, ($imports | Measure-Object -Minimum).Minimum, ($imports | Measure-Object -Maximum).Maximum)

    $data = '/usr/share/datasets/fashion-mnist'
    if (-not (Test-Path -LiteralPath (Join-Path $data 'train-images-idx3-ubyte.gz'))) {
        Write-Host "load: skipped (no Fashion-MNIST in $data; apt-get install dataset-fashion-mnist)"
        return 0
    }
    # Our side: Import-Dataset of train and test, timed in-process (median of 5 after a warm-up), and the peak RSS of a
    # process that loads them once, against the same process with the module imported and nothing loaded.
    $ours = & $pwshHost @pwshPrefix -NoProfile -NonInteractive -Command @"
Import-Module '$manifest'
`$load = { Import-Dataset -Path '$data/train-images-idx3-ubyte.gz' -LabelPath '$data/train-labels-idx1-ubyte.gz'
          Import-Dataset -Path '$data/t10k-images-idx3-ubyte.gz' -LabelPath '$data/t10k-labels-idx1-ubyte.gz' }
`$null = & `$load
`$t = foreach (`$i in 1..5) { [GC]::Collect(); (Measure-Command { `$null = & `$load }).TotalSeconds }
(`$t | Sort-Object)[2]
"@
    $oursSeconds = [double]($ours | Select-Object -Last 1)
    $time = '/usr/bin/time'
    # GNU time's maximum resident set size (KiB) of a whole command, written to a file of its own.
    $peak = {
        param([string[]] $command)
        $file = [IO.Path]::GetTempFileName()
        try {
            & $time -f '%M' -o $file @command *> $null
            [double]((Get-Content -LiteralPath $file | Where-Object { $_ -match '^\d+$' } | Select-Object -Last 1))
        } finally { Remove-Item -LiteralPath $file -ErrorAction Ignore }
    }
    $oursBase = & $peak (@($pwshHost) + $pwshPrefix + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$manifest'"))
    $oursPeak = & $peak (@($pwshHost) + $pwshPrefix + @('-NoProfile', '-NonInteractive', '-Command',
        "Import-Module '$manifest'; `$a = Import-Dataset -Path '$data/train-images-idx3-ubyte.gz' -LabelPath '$data/train-labels-idx1-ubyte.gz'; `$b = Import-Dataset -Path '$data/t10k-images-idx3-ubyte.gz' -LabelPath '$data/t10k-labels-idx1-ubyte.gz'"))
    $matrixMiB = (60000 + 10000) * 784 * 4 / 1MB
    Write-Host ('load (MlpTools): train+test {0:N3} s median of 5; peak RSS {1:N0} MiB over a {2:N0} MiB baseline = {3:N0} MiB, {4:N2}x the {5:N0} MiB float32 matrices' -f
        $oursSeconds, ($oursPeak / 1KB), ($oursBase / 1KB), (($oursPeak - $oursBase) / 1KB), (($oursPeak - $oursBase) / 1KB / $matrixMiB), $matrixMiB)
    if (-not (Test-Path -LiteralPath $python) -or -not (Test-Path -LiteralPath (Join-Path $peers 'load.py'))) {
        Write-Host 'load (numpy): skipped (no /usr/bin/python3 or ../shared/bench/load.py)'
        return 0
    }
    $numpyOut = & $python (Join-Path $peers 'load.py') --reps 5 --variants numpy_gzip_open 2>&1
    $numpyJson = $numpyOut | Where-Object { $_ -match '^\{' } | Select-Object -Last 1 | ConvertFrom-Json
    $numpySeconds = [double]$numpyJson.seconds.median
    $pyBase = & $peak @($python, '-c', 'import numpy, gzip')
    $pyPeak = & $peak @($python, '-c', "import sys; sys.path.insert(0, '$peers'); import load; load.numpy_gzip_open()")
    Write-Host ('load (numpy):    train+test {0:N3} s median of 5; peak RSS {1:N0} MiB over a {2:N0} MiB baseline = {3:N0} MiB' -f
        $numpySeconds, ($pyPeak / 1KB), ($pyBase / 1KB), (($pyPeak - $pyBase) / 1KB))
    Write-Host ('load ratio: time {0:N2}x numpy; memory over baseline {1:N2}x numpy''s' -f ($oursSeconds / $numpySeconds), (($oursPeak - $oursBase) / ($pyPeak - $pyBase)))

    # Peak memory of a whole process that trains 784-100-10 on Fashion-MNIST (2 epochs, batch 200, SGD momentum 0.9,
    # lr 0.01, lambda 1e-4, float32): ours in pwsh beside mlp_numpy.py's process.
    $trainOurs = & $peak (@($pwshHost) + $pwshPrefix + @('-NoProfile', '-NonInteractive', '-Command',
        "Import-Module '$manifest'; `$d = Import-Dataset -Path '$data/train-images-idx3-ubyte.gz' -LabelPath '$data/train-labels-idx1-ubyte.gz'; `$null = `$d | New-Mlp -HiddenSize 100 -Seed 1 | Invoke-Training -Epochs 2 -BatchSize 200 -LearningRate 0.01 -Momentum 0.9 -Regularization 1e-4 -Seed 1"))
    $numpyEnv = $env:OPENBLAS_CORETYPE
    try {
        if (-not $numpyEnv -and [System.Runtime.Intrinsics.X86.Avx512F]::IsSupported) { $env:OPENBLAS_CORETYPE = 'SkylakeX' }
        $env:OPENBLAS_NUM_THREADS = '2'
        $trainNumpy = & $peak @($python, (Join-Path $peers 'mlp_numpy.py'), '--hidden', '100', '--epochs', '1', '--warmup', '1')
    } finally {
        $env:OPENBLAS_CORETYPE = $numpyEnv
        Remove-Item Env:OPENBLAS_NUM_THREADS -ErrorAction Ignore
    }
    Write-Host ('train 784-100-10 peak RSS: MlpTools (pwsh) {0:N0} MiB, numpy {1:N0} MiB: {2:N2}x' -f ($trainOurs / 1KB), ($trainNumpy / 1KB), ($trainOurs / $trainNumpy))
    return 0
}

function Get-UserModuleFolder {
    <# The first folder of $env:PSModulePath under the user's home, else PowerShell's per-user default. #>
    $userHome = [Environment]::GetFolderPath('UserProfile')
    $mine = @($env:PSModulePath -split [IO.Path]::PathSeparator | Where-Object { $_ -and $_.StartsWith($userHome) })
    if ($mine.Count -gt 0) { return $mine[0] }
    if ($IsWindows) { return Join-Path ([Environment]::GetFolderPath('MyDocuments')) 'PowerShell/Modules' }
    return Join-Path $userHome '.local/share/powershell/Modules'
}

function Invoke-InstallTask {
    Invoke-BuildTask
    $version = Get-ModuleVersion
    $folder = if ($ModulePath) { $ModulePath } else { Get-UserModuleFolder }
    $target = Join-Path $folder "MlpTools/$version"
    if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $target -Force
    Copy-Item -Path (Join-Path $OutputRoot "MlpTools/$version/*") -Destination $target -Recurse
    Write-Host "Installed MlpTools $version to $target"
    $onPath = @($env:PSModulePath -split [IO.Path]::PathSeparator) -contains $folder
    if ($onPath) {
        Write-Host 'Any pwsh loads it by name: Import-Module MlpTools, or just run a cmdlet such as Import-Dataset.'
    }
    else {
        Write-Host "$folder is not on `$env:PSModulePath; load it with Import-Module '$target/MlpTools.psd1', or add the folder to PSModulePath."
    }
}

function Invoke-CleanTask {
    if (Test-Path -LiteralPath $OutputRoot) { Remove-Item -LiteralPath $OutputRoot -Recurse -Force }
    foreach ($top in 'src', 'tests', 'tools') {
        $root = Join-Path $RepoRoot $top
        if (-not (Test-Path -LiteralPath $root)) { continue }
        Get-ChildItem -LiteralPath $root -Directory -Recurse -Include 'bin', 'obj' |
            Where-Object { Test-Path -LiteralPath $_.FullName } |
            Remove-Item -Recurse -Force
    }
    Write-Host 'Cleaned output/ and bin/, obj/ under src/, tests/, tools/.'
}

function Install-AflFuzz {
    <# Makes sure afl-fuzz is on the PATH: installs Debian's afl++ when running as root, else says what to install. #>
    if (Get-Command afl-fuzz -CommandType Application -ErrorAction Ignore) { return }
    $root = $IsLinux -and (Get-Command apt-get -CommandType Application -ErrorAction Ignore) -and ((& id -u) -eq '0')
    if (-not $root) {
        throw 'afl-fuzz (AFL++) is not installed. On Debian or Ubuntu: sudo apt-get install afl++ (elsewhere, AFL++ from its sources); then run this task again.'
    }
    Write-Host 'afl-fuzz is missing: installing Debian''s afl++ package.'
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Native apt-get @('update')
    Invoke-Native apt-get @('install', '-y', '--no-install-recommends', 'afl++')
}

function Read-FuzzerStats {
    <# The key = value lines of afl-fuzz's fuzzer_stats file as a hashtable. #>
    param([Parameter(Mandatory)] [string] $Path)
    $stats = @{}
    foreach ($line in Get-Content -LiteralPath $Path) {
        $key, $value = $line -split '\s*:\s*', 2
        if ($key) { $stats[$key.Trim()] = "$value".Trim() }
    }
    return $stats
}

function Invoke-FuzzTask {
    <#
    Fuzzes one target, or each in turn, under afl-fuzz for $Seconds seconds each, from tests/fuzz-corpus/seeds/.
    The harness is SharpFuzz's out-of-process fork server (tests/MlpTools.Fuzz/Program.cs): a crash is any exception
    other than an MlpException escaping a reader; a hang is an input that runs past afl-fuzz's timeout (-t).
    #>
    param([string] $Target, [int] $Seconds)
    $targets = if ($Target) { @($Target) } else { @('Csv', 'Idx', 'Model', 'ModelStructured') }
    Install-AflFuzz

    $fuzzRoot = Join-Path $OutputRoot 'fuzz'
    $bin = Join-Path $fuzzRoot 'bin'
    if (Test-Path -LiteralPath $bin) { Remove-Item -LiteralPath $bin -Recurse -Force }
    Invoke-Native dotnet @('tool', 'restore')
    Invoke-Native dotnet (@('publish', (Join-Path $RepoRoot 'tests/MlpTools.Fuzz/MlpTools.Fuzz.csproj'),
        '-c', 'Release', '-o', $bin, '-nologo', '-v:quiet') + $MSBuildSwitches)
    # Instrument the published copy only (in place): every other build of MlpTools.Core stays as it was.
    Invoke-Native dotnet @('tool', 'run', 'sharpfuzz', (Join-Path $bin 'MlpTools.Core.dll'))

    # The target is the dotnet host, whose native code afl-fuzz cannot see instrumented: the coverage comes from
    # the managed code, through SharpFuzz's shared-memory map. The machine is shared: bind to no core.
    $env:AFL_SKIP_BIN_CHECK = '1'
    $env:AFL_SKIP_CPUFREQ = '1'
    $env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
    $env:AFL_NO_AFFINITY = '1'
    $env:AFL_NO_UI = '1'

    $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
    $found = 0
    $summaries = foreach ($t in $targets) {
        $seedSet = if ($t -eq 'ModelStructured') { 'Model' } else { $t }
        $seeds = Join-Path $RepoRoot "tests/fuzz-corpus/seeds/$seedSet"
        $findings = Join-Path $fuzzRoot $t
        $previous = "$findings.previous"
        if (Test-Path -LiteralPath $findings) {
            if (Test-Path -LiteralPath $previous) { Remove-Item -LiteralPath $previous -Recurse -Force }
            Move-Item -LiteralPath $findings -Destination $previous
        }
        $aflArgs = @('-i', $seeds, '-o', $findings, '-t', '5000', '-m', 'none', '-V', "$Seconds")
        $dictionary = Join-Path $RepoRoot "tests/fuzz-corpus/dictionaries/$seedSet.dict"
        if (Test-Path -LiteralPath $dictionary) { $aflArgs += @('-x', $dictionary) }
        $aflArgs += @('--', $dotnet, (Join-Path $bin 'MlpTools.Fuzz.dll'), $t)
        Write-Host "afl-fuzz $($aflArgs -join ' ')"
        $exitCode = Invoke-Process afl-fuzz $aflArgs

        $statsFile = Join-Path $findings 'default/fuzzer_stats'
        if (-not (Test-Path -LiteralPath $statsFile)) {
            $found++
            "${t}: afl-fuzz exited $exitCode without writing $statsFile"
            continue
        }
        $stats = Read-FuzzerStats $statsFile
        # AFL++ 4 names; AFL++ 3 and AFL 2 called them paths_total, unique_crashes, unique_hangs.
        $corpus = if ($stats.ContainsKey('corpus_count')) { $stats.corpus_count } else { $stats.paths_total }
        $crashes = [int]$(if ($stats.ContainsKey('saved_crashes')) { $stats.saved_crashes } else { $stats.unique_crashes })
        $hangs = [int]$(if ($stats.ContainsKey('saved_hangs')) { $stats.saved_hangs } else { $stats.unique_hangs })
        $found += $crashes + $hangs
        $seconds = [long]$stats.last_update - [long]$stats.start_time
        '{0}: {1} s, {2} executions, {3} execs/s, corpus {4}, crashes {5}, hangs {6}; findings in {7}' -f
            $t, $seconds, $stats.execs_done, $stats.execs_per_sec, $corpus, $crashes, $hangs, (Join-Path $findings 'default')
    }
    $summaries | ForEach-Object { Write-Host $_ }
    if ($found -gt 0) {
        Write-Host ('Replay a finding with: dotnet run --project tests/MlpTools.Fuzz -c Release -- --replay TARGET FILE; ' +
            'once fixed, keep the input in tests/fuzz-corpus/crashes/TARGET/ (the xunit tests read every file there).')
        return 1
    }
    return 0
}

$exitCode = 0
try {
    switch ($Task) {
        'Build' { Invoke-BuildTask }
        'Test' { $exitCode = Invoke-TestTask }
        'Demo' { $exitCode = Invoke-DemoTask }
        'Bench' { $exitCode = Invoke-BenchTask -Compare:$Compare }
        'Install' { Invoke-InstallTask }
        'Clean' { Invoke-CleanTask }
        'Fuzz' { $exitCode = Invoke-FuzzTask -Target $Target -Seconds $Seconds }
    }
}
catch {
    Write-Host "build.ps1 -Task ${Task} failed: $_" -ForegroundColor Red
    $exitCode = 1
}
exit $exitCode

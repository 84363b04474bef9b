<#
The steps behind build.ps1's tasks, and the helpers that build.ps1, bench/Invoke-Bench.ps1,
tests/MlpTools.Fuzz/Invoke-Fuzz.ps1, the tools and the Pester tests (through tests/Pester/TestHelpers.psm1) share:
one copy of each. Import it with

    Import-Module (Join-Path $PSScriptRoot 'tools/MlpTools.Build.psm1') -Force

Paths are the repository's, wherever the caller runs from: output/ is where everything built lands.
#>

Set-StrictMode -Version Latest

$RepoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '..'))
$OutputRoot = Join-Path $RepoRoot 'output'

# ------------------------------------------------------------------------------------------------ processes

function Get-PwshCommand {
    <#
    .SYNOPSIS
    The command line that starts a fresh copy of the running PowerShell: @(exe, args...).
    .DESCRIPTION
    Under `dotnet pwsh` (the local tool) this process is the dotnet host running $PSHOME/pwsh.dll, so the fresh copy
    is `dotnet <PSHOME>/pwsh.dll`; under an installed pwsh it is that pwsh. Either way the child runs the same
    PowerShell version as its parent.
    #>
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') {
        return @($exe, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($exe)
}

function Invoke-Process {
    <#
    .SYNOPSIS
    Runs a native command from the repository root, attached to this console, and returns its exit code.
    .DESCRIPTION
    Attached: its output goes straight to the console (keeping its colours) and never into a function's return value.
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
    try {
        $process.WaitForExit()
        return $process.ExitCode
    }
    finally { $process.Dispose() }
}

function Invoke-Native {
    <# .SYNOPSIS Runs a native command as Invoke-Process does; throws if it exits non-zero. #>
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @()
    )
    $exitCode = Invoke-Process -FilePath $FilePath -ArgumentList $ArgumentList
    if ($exitCode -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $exitCode."
    }
}

function Install-DebianPackage {
    <#
    .SYNOPSIS
    Installs a Debian package that a task needs and found missing: with apt-get when running as root on Debian or
    Ubuntu; anywhere else, throws saying what to install.
    .PARAMETER Package
    Debian's name of the package, e.g. afl++.
    .PARAMETER Missing
    What is missing, as the messages name it, e.g. 'afl-fuzz (AFL++)'.
    .PARAMETER Elsewhere
    Where to get it on other systems, added to the error in brackets.
    #>
    param(
        [Parameter(Mandatory)] [string] $Package,
        [Parameter(Mandatory)] [string] $Missing,
        [string] $Elsewhere
    )
    $root = $IsLinux -and (Get-Command apt-get -CommandType Application -ErrorAction Ignore) -and ((& id -u) -eq '0')
    if (-not $root) {
        $other = if ($Elsewhere) { " ($Elsewhere)" } else { '' }
        throw "$Missing is not installed. On Debian or Ubuntu: sudo apt-get install $Package$other; then run this again."
    }
    Write-Host "$Missing is missing: installing Debian's $Package package."
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Native apt-get @('update')
    Invoke-Native apt-get @('install', '-y', '--no-install-recommends', $Package)
}

function Invoke-FreshPwsh {
    <# .SYNOPSIS Runs a script file in a fresh pwsh -NoProfile -NonInteractive, attached; returns its exit code. #>
    param(
        [Parameter(Mandatory)] [string] $File,
        [string[]] $ArgumentList = @()
    )
    $pwsh = @(Get-PwshCommand)
    $pwshArgs = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList
    return Invoke-Process -FilePath $pwsh[0] -ArgumentList $pwshArgs
}

function Invoke-DotNetBuild {
    <#
    .SYNOPSIS
    `dotnet build` of a project or solution, or with -PublishTo, `dotnet publish` into that folder; throws on failure.
    .DESCRIPTION
    On CI (CI=true) no MSBuild node is left running afterwards.
    .PARAMETER Path
    The project or solution, relative to the repository root.
    .PARAMETER NoBuild
    Publish what an earlier build of the same configuration produced.
    #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release',
        [string] $PublishTo,
        [switch] $NoBuild,
        [switch] $Quiet
    )
    $arguments = @($(if ($PublishTo) { 'publish' } else { 'build' }), (Join-Path $RepoRoot $Path), '-c', $Configuration, '-nologo')
    if ($PublishTo) { $arguments += @('-o', $PublishTo) }
    if ($NoBuild) { $arguments += '--no-build' }
    if ($Quiet) { $arguments += '-v:quiet' }
    if ($env:CI -eq 'true') { $arguments += '-nodeReuse:false' }
    Invoke-Native dotnet $arguments
}

function Get-NuGetPackagesFolder {
    <# .SYNOPSIS The NuGet global packages folder (`dotnet nuget locals global-packages --list`), where restores land. #>
    $listing = & dotnet nuget locals global-packages --list
    if ($LASTEXITCODE -ne 0) { throw "'dotnet nuget locals global-packages --list' failed with exit code $LASTEXITCODE." }
    $packages = @($listing) -match '^\s*global-packages:' -replace '^\s*global-packages:\s*', '' | Select-Object -First 1
    if (-not $packages) { throw "Unexpected output from 'dotnet nuget locals global-packages --list': $listing" }
    return $packages
}

function Reset-Folder {
    <# .SYNOPSIS Makes an empty folder at Path (removing what was there) and returns its path. #>
    param([Parameter(Mandatory)] [string] $Path)
    if (Test-Path -LiteralPath $Path) { Remove-Item -LiteralPath $Path -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $Path -Force
    return $Path
}

# ------------------------------------------------------------------------------------------------ the module

function Get-ModuleVersion {
    <#
    .SYNOPSIS
    ModuleVersion from module/MlpTools.psd1; throws if Directory.Build.props gives the assemblies another Version.
    #>
    $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $RepoRoot 'module/MlpTools.psd1')).ModuleVersion
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'Directory.Build.props'))
    $assemblyVersion = @($props.Project.PropertyGroup | ForEach-Object { $_.SelectSingleNode('Version') } |
        Where-Object { $_ } | ForEach-Object InnerText) | Select-Object -First 1
    if ($assemblyVersion -and $assemblyVersion -ne $version) {
        throw "ModuleVersion '$version' in module/MlpTools.psd1 differs from Version '$assemblyVersion' in Directory.Build.props; make them equal."
    }
    return $version
}

function Get-BuiltManifestPath {
    <# .SYNOPSIS Where Build-MlpModule puts the manifest: output/MlpTools/<version>/MlpTools.psd1 (built or not). #>
    return Join-Path $OutputRoot "MlpTools/$(Get-ModuleVersion)/MlpTools.psd1"
}

function Build-MlpModule {
    <#
    .SYNOPSIS
    Publishes src/MlpTools and lays out output/MlpTools/<version>/, the folder layout PowerShell expects.
    .DESCRIPTION
    The version folder gets the manifest, the format and type files, the en-US help and the fonts from module/, the
    assemblies (MlpTools, MlpTools.Core, MlpTools.Plots, MathNet.Numerics, ScottPlot, SkiaSharp, ...) but never
    PowerShell's own, which the host supplies, and the native drawing libraries of every platform the manifest claims
    (Copy-NativeRuntimes). It is emptied first, so no stale file survives.
    .PARAMETER NoBuild
    Publish what an earlier `dotnet build` of the same configuration produced.
    #>
    param(
        [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release',
        [switch] $NoBuild
    )
    $manifest = Get-BuiltManifestPath
    $moduleDir = Split-Path -Parent $manifest
    $publishDir = Join-Path $OutputRoot 'publish'
    $null = Reset-Folder $publishDir
    $null = Reset-Folder (Join-Path $OutputRoot 'MlpTools')

    Invoke-DotNetBuild src/MlpTools/MlpTools.csproj -Configuration $Configuration -PublishTo $publishDir -NoBuild:$NoBuild

    $null = New-Item -ItemType Directory -Path $moduleDir -Force
    $moduleSrc = Join-Path $RepoRoot 'module'
    Copy-Item -LiteralPath (Join-Path $moduleSrc 'MlpTools.psd1') -Destination $moduleDir
    Get-ChildItem -LiteralPath $moduleSrc -Filter '*.ps1xml' -File | Copy-Item -Destination $moduleDir
    $help = Join-Path $moduleSrc 'en-US'
    if (Test-Path -LiteralPath $help) { Copy-Item -LiteralPath $help -Destination $moduleDir -Recurse }

    Get-ChildItem -LiteralPath $publishDir -File |
        Where-Object { $_.Extension -in '.dll', '.pdb' -or $_.Name -eq 'MlpTools.deps.json' } |
        Where-Object { $_.BaseName -ne 'System.Management.Automation' } |
        Copy-Item -Destination $moduleDir
    Copy-NativeRuntimes -PublishDir $publishDir -ModuleDir $moduleDir
    Copy-Item -LiteralPath (Join-Path $moduleSrc 'fonts') -Destination $moduleDir -Recurse

    Remove-Item -LiteralPath $publishDir -Recurse -Force
    Write-Host "Built module: $manifest"
}

function Get-NativeRuntime {
    <#
    .SYNOPSIS
    The platforms the module ships native libraries for: NativeRuntimes in module/MlpTools.psd1's PrivateData.
    #>
    $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $RepoRoot 'module/MlpTools.psd1')
    return @($manifest.PrivateData.NativeRuntimes)
}

function Copy-NativeRuntimes {
    <#
    .SYNOPSIS
    Lays out the native drawing libraries (libSkiaSharp, libHarfBuzzSharp) of every platform the manifest claims in
    the module, from what `dotnet publish` took from the NuGet packages; throws when one is missing.
    .DESCRIPTION
    The layout is the packages' own: runtimes/<rid>/native/<library>, or for a platform whose package has one library
    for the whole system (macOS's universal binaries, for osx-arm64 and osx-x64) runtimes/<system>/native/. The module
    resolves them itself when it is imported (MlpTools.Plots.NativeLibraries): PowerShell does not search runtimes/.
    Platforms the manifest does not claim (linux-musl-*, win-x86, ...) are left out.
    #>
    param(
        [Parameter(Mandatory)] [string] $PublishDir,
        [Parameter(Mandatory)] [string] $ModuleDir
    )
    foreach ($rid in Get-NativeRuntime) {
        $system = ($rid -split '-')[0]
        $extension = switch ($system) { 'win' { '.dll' } 'osx' { '.dylib' } default { '.so' } }
        foreach ($library in 'libSkiaSharp', 'libHarfBuzzSharp') {
            $found = foreach ($folder in $rid, $system) {
                $relative = "runtimes/$folder/native/$library$extension"
                if (Test-Path -LiteralPath (Join-Path $PublishDir $relative)) { $relative; break }
            }
            if (-not $found) {
                throw "The module claims the platform $rid (NativeRuntimes in module/MlpTools.psd1), but the published packages have no $library$extension for it."
            }
            $target = Join-Path $ModuleDir $found
            $null = New-Item -ItemType Directory -Path (Split-Path -Parent $target) -Force
            Copy-Item -LiteralPath (Join-Path $PublishDir $found) -Destination $target -Force
        }
    }
}

function Install-MlpModule {
    <#
    .SYNOPSIS
    Copies the built module to MlpTools/<version>/ in a modules folder: -ModulePath, else your own (the first folder
    of $env:PSModulePath under your home, else PowerShell's per-user default).
    #>
    param([string] $ModulePath)
    $folder = $ModulePath
    if (-not $folder) {
        $userHome = [Environment]::GetFolderPath('UserProfile')
        $folder = $env:PSModulePath -split [IO.Path]::PathSeparator |
            Where-Object { $_ -and $_.StartsWith($userHome) } | Select-Object -First 1
    }
    if (-not $folder) {
        $folder = if ($IsWindows) { Join-Path ([Environment]::GetFolderPath('MyDocuments')) 'PowerShell/Modules' }
        else { Join-Path $userHome '.local/share/powershell/Modules' }
    }
    $version = Get-ModuleVersion
    $target = Reset-Folder (Join-Path $folder "MlpTools/$version")
    Copy-Item -Path (Join-Path (Split-Path -Parent (Get-BuiltManifestPath)) '*') -Destination $target -Recurse
    Write-Host "Installed MlpTools $version to $target"
    if (@($env:PSModulePath -split [IO.Path]::PathSeparator) -contains $folder) {
        Write-Host 'Any pwsh loads it by name: Import-Module MlpTools, or just run a cmdlet such as Import-Dataset.'
    }
    else {
        Write-Host "$folder is not on `$env:PSModulePath; load it with Import-Module '$target/MlpTools.psd1', or add the folder to PSModulePath."
    }
}

function Clear-BuildOutput {
    <# .SYNOPSIS Removes output/ and every bin/ and obj/ folder under src/, tests/, tools/ and bench/. #>
    $tops = 'src', 'tests', 'tools', 'bench'
    if (Test-Path -LiteralPath $OutputRoot) { Remove-Item -LiteralPath $OutputRoot -Recurse -Force }
    foreach ($top in $tops) {
        $root = Join-Path $RepoRoot $top
        if (-not (Test-Path -LiteralPath $root)) { continue }
        Get-ChildItem -LiteralPath $root -Directory -Recurse -Include 'bin', 'obj' |
            Where-Object { Test-Path -LiteralPath $_.FullName } |
            Remove-Item -Recurse -Force
    }
    Write-Host "Cleaned output/ and bin/, obj/ under $(($tops | ForEach-Object { "$_/" }) -join ', ')."
}

# ------------------------------------------------------------------------------------------------ the tests

function Invoke-XunitTests {
    <#
    .SYNOPSIS
    Runs the engine tests (tests/MlpTools.Core.Tests, already built) and returns their counts, read from their TRX file.
    #>
    param(
        [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release',
        [Parameter(Mandatory)] [string] $ResultsDirectory
    )
    $trx = Join-Path $ResultsDirectory 'core.trx'
    $exitCode = Invoke-Process dotnet @('test', (Join-Path $RepoRoot 'tests/MlpTools.Core.Tests/MlpTools.Core.Tests.csproj'),
        '-c', $Configuration, '--no-build', '-nologo',
        '--logger', 'trx;LogFileName=core.trx', '--results-directory', $ResultsDirectory)
    if (-not (Test-Path -LiteralPath $trx)) {
        throw "no results ($trx missing; dotnet test exited $exitCode)."
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

function Invoke-PesterTests {
    <#
    .SYNOPSIS
    Runs every tests/Pester/*.Tests.ps1 against the built module in a fresh pwsh (tools/Invoke-Pester.ps1, Pester
    from NuGet) and returns their counts.
    #>
    param([Parameter(Mandatory)] [string] $ResultsDirectory)
    $countsFile = Join-Path $ResultsDirectory 'pester-counts.json'
    Invoke-Native dotnet @('restore', (Join-Path $RepoRoot 'tools/Pester.proj'), '-nologo', '-v:quiet')
    $exitCode = Invoke-FreshPwsh -File (Join-Path $RepoRoot 'tools/Invoke-Pester.ps1') -ArgumentList @(
        '-ModulePath', (Get-BuiltManifestPath),
        '-ResultsDirectory', $ResultsDirectory,
        '-CountsPath', $countsFile)
    if (-not (Test-Path -LiteralPath $countsFile)) {
        throw "no results ($countsFile missing; runner exited $exitCode)."
    }
    $c = Get-Content -Raw -LiteralPath $countsFile | ConvertFrom-Json
    return [pscustomobject]@{ Passed = [int]$c.Passed; Failed = [int]$c.Failed; Skipped = [int]$c.Skipped }
}

function Measure-TestStep {
    <#
    .SYNOPSIS
    Runs one step of the Test task and returns its name, seconds and counts (Passed, Failed, Skipped).
    .DESCRIPTION
    A step that returns counts (a test runner) has them printed as "<Name>: N passed, M failed, K skipped"; one that
    returns nothing (the build) counts nothing. A step that throws is one failure, so it can never pass unnoticed.
    #>
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [scriptblock] $Step
    )
    $clock = [Diagnostics.Stopwatch]::StartNew()
    try {
        $counts = & $Step
        if ($counts) {
            Write-Host ('{0}: {1} passed, {2} failed, {3} skipped' -f $Name, $counts.Passed, $counts.Failed, $counts.Skipped)
        }
        else { $counts = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 } }
    }
    catch {
        Write-Host "$Name failed: $_"
        $counts = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    [pscustomobject]@{
        Name = $Name; Seconds = $clock.Elapsed.TotalSeconds
        Passed = $counts.Passed; Failed = $counts.Failed; Skipped = $counts.Skipped
    }
}

function Write-TestSummary {
    <#
    .SYNOPSIS
    Prints the steps' times, then, as the very last line, "Tests: N passed, M failed" (", K skipped" when K > 0);
    returns the exit code: 1 when M > 0.
    #>
    param([Parameter(Mandatory)] [object[]] $Steps)
    $total = ($Steps | Measure-Object -Property Seconds -Sum).Sum
    Write-Host ('Time: ' + (($Steps | ForEach-Object { '{0} {1:0.0}s' -f $_.Name, $_.Seconds }) -join ', ') +
        (', total {0:0.0}s' -f $total))
    $passed = ($Steps | Measure-Object -Property Passed -Sum).Sum
    $failed = ($Steps | Measure-Object -Property Failed -Sum).Sum
    $skipped = ($Steps | Measure-Object -Property Skipped -Sum).Sum
    $line = "Tests: $passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host $line
    return [int]($failed -gt 0)
}

Export-ModuleMember -Function Get-PwshCommand, Invoke-Process, Invoke-Native, Install-DebianPackage, Invoke-FreshPwsh, Invoke-DotNetBuild,
    Get-NuGetPackagesFolder, Reset-Folder, Get-ModuleVersion, Get-BuiltManifestPath, Build-MlpModule, Get-NativeRuntime, Install-MlpModule, Clear-BuildOutput,
    Invoke-XunitTests, Invoke-PesterTests, Measure-TestStep, Write-TestSummary

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
    .PARAMETER Environment
    Environment variables to set (or, with a $null value, remove) for the command, on top of this process's.
    #>
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [Collections.IDictionary] $Environment = @{}
    )
    $startInfo = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $startInfo.ArgumentList.Add($argument) }
    foreach ($name in $Environment.Keys) { $startInfo.Environment[$name] = $Environment[$name] }
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
    Debian's name of the package, e.g. afl++, or several, installed with one apt-get.
    .PARAMETER Missing
    What is missing, as the messages name it, e.g. 'afl-fuzz (AFL++)'.
    .PARAMETER Elsewhere
    Where to get it on other systems, added to the error in brackets.
    #>
    param(
        [Parameter(Mandatory)] [string[]] $Package,
        [Parameter(Mandatory)] [string] $Missing,
        [string] $Elsewhere
    )
    $root = $IsLinux -and (Get-Command apt-get -CommandType Application -ErrorAction Ignore) -and ((& id -u) -eq '0')
    if (-not $root) {
        $other = if ($Elsewhere) { " ($Elsewhere)" } else { '' }
        throw "$Missing is not installed. On Debian or Ubuntu: sudo apt-get install $($Package -join ' ')$other; then run this again."
    }
    Write-Host "$Missing is missing: installing Debian's $(if ($Package.Count -eq 1) { "$Package package" } else { "packages $($Package -join ', ')" })."
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Native apt-get @('update')
    Invoke-Native apt-get (@('install', '-y', '--no-install-recommends') + $Package)
}

function Get-ReferencePython {
    <#
    .SYNOPSIS
    A Python 3 with numpy, for the reference scripts under tests/reference: Debian's /usr/bin/python3, else python3 or
    python on PATH, the first that imports numpy. When none does, installs Debian's python3-numpy with apt-get if
    running as root on Debian or Ubuntu; anywhere else throws, saying what to install.
    #>
    $candidates = @('/usr/bin/python3') + @(Get-Command python3, python -CommandType Application -ErrorAction Ignore | ForEach-Object Source)
    $withNumpy = {
        foreach ($python in @($candidates | Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -Unique)) {
            & $python -c 'import numpy' 2>$null
            if ($LASTEXITCODE -eq 0) { return $python }
        }
    }
    $found = & $withNumpy
    if ($found) { return $found }
    Install-DebianPackage -Package python3-numpy -Missing 'Python 3 with numpy' -Elsewhere 'elsewhere, Python 3 and pip install numpy'
    $found = & $withNumpy
    if (-not $found) { throw "Installed python3-numpy, but no Python 3 here imports numpy." }
    return $found
}

function Invoke-FreshPwsh {
    <#
    .SYNOPSIS
    Runs a script file, or with -Command a script's text, in a fresh pwsh -NoProfile -NonInteractive, attached;
    returns its exit code (a script that throws exits 1).
    .PARAMETER Environment
    Environment variables for the fresh pwsh, as Invoke-Process takes them (New-IsolatedUserEnvironment makes a set).
    #>
    [CmdletBinding(DefaultParameterSetName = 'File')]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'File')] [string] $File,
        [Parameter(Position = 1, ParameterSetName = 'File')] [string[]] $ArgumentList = @(),
        [Parameter(Mandatory, ParameterSetName = 'Command')] [string] $Command,
        [Collections.IDictionary] $Environment = @{}
    )
    $pwsh = @(Get-PwshCommand)
    $run = if ($PSCmdlet.ParameterSetName -eq 'File') { @('-File', $File) + $ArgumentList }
    else {
        # Text, not the CLIXML that pwsh writes errors in for an encoded command when its output is redirected.
        '-OutputFormat', 'Text', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Command))
    }
    $pwshArgs = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $run
    return Invoke-Process -FilePath $pwsh[0] -ArgumentList $pwshArgs -Environment $Environment
}

function ConvertTo-SingleQuotedLiteral {
    <# .SYNOPSIS Text as a PowerShell single-quoted string literal, for a script written for another pwsh: 'it''s'. #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Text)
    return "'" + $Text.Replace("'", "''") + "'"
}

function New-IsolatedUserEnvironment {
    <#
    .SYNOPSIS
    Makes a throwaway user's folders under Path (home, data, config, cache) and returns the environment variables that
    point a fresh pwsh at them, for Invoke-FreshPwsh -Environment.
    .DESCRIPTION
    What PSResourceGet keeps per user then lands in Path, never in the real user's folders: on Linux and macOS its
    repository list is $XDG_DATA_HOME/PSResourceGet/PSResourceRepository.xml (else ~/.local/share/...),
    Install-PSResource -Scope CurrentUser installs into $HOME/.local/share/powershell/Modules, and NuGet, which it
    publishes with, writes $XDG_CONFIG_HOME/NuGet/NuGet.Config. Every folder must exist: .NET reports a missing
    XDG_DATA_HOME as no folder at all, and PSResourceGet then writes its list under the current directory.
    On Windows, .NET takes the known folders from the system rather than from LOCALAPPDATA or APPDATA (set here all
    the same), so there the repository list and CurrentUser are the real user's.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $folders = [ordered]@{}
    foreach ($name in 'home', 'data', 'config', 'cache', 'localappdata', 'appdata') {
        $folders[$name] = (New-Item -ItemType Directory -Path (Join-Path $Path $name) -Force).FullName
    }
    return @{
        HOME                        = $folders.home
        USERPROFILE                 = $folders.home
        XDG_DATA_HOME               = $folders.data
        XDG_CONFIG_HOME             = $folders.config
        XDG_CACHE_HOME              = $folders.cache
        LOCALAPPDATA                = $folders.localappdata
        APPDATA                     = $folders.appdata
        POWERSHELL_TELEMETRY_OPTOUT = '1'
        POWERSHELL_UPDATECHECK      = 'Off'
    }
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

function Get-TestPackageFolder {
    <#
    .SYNOPSIS
    The NuGet global packages folder's copy of a package that tools/Pester.proj downloads for the tests (Pester, and
    MathNet.Numerics 4.15.0 and Google.Protobuf 3.21.9 for the coexistence tests), at the version it pins; throws, saying what to run, when that
    package has not been restored.
    #>
    param([Parameter(Mandatory)] [string] $Name)
    $proj = [xml](Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'tools/Pester.proj'))
    $download = @($proj.Project.ItemGroup.PackageDownload | Where-Object { $_ -and $_.Include -eq $Name }) | Select-Object -First 1
    if (-not $download) { throw "tools/Pester.proj downloads no package '$Name'." }
    $version = $download.Version.Trim('[', ']')
    $folder = Join-Path (Get-NuGetPackagesFolder) "$($Name.ToLowerInvariant())/$version"
    if (-not (Test-Path -LiteralPath $folder)) {
        throw "$Name $version not found at $folder. Run 'dotnet restore tools/Pester.proj' first."
    }
    return $folder
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
    licence (LICENSE, from the repository's root), the assemblies (MlpTools, MlpTools.Core, MlpTools.Plots, MathNet.Numerics,
    ScottPlot, SkiaSharp, OnnxSharp, Google.Protobuf, ...) but never
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
    Copy-Item -LiteralPath (Join-Path $RepoRoot 'LICENSE') -Destination $moduleDir

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

function New-MlpPackage {
    <#
    .SYNOPSIS
    Packs the built module into MlpTools.<version>.nupkg with PSResourceGet's Publish-PSResource, published into a
    folder repository (output/packages/, or -Destination); prints its size and contents, and returns the file.
    .DESCRIPTION
    Publish-PSResource publishes to a registered repository, and PSResourceGet keeps its list of repositories per
    user. So it runs in a fresh pwsh whose user folders are a temporary folder's (New-IsolatedUserEnvironment), which
    registers the folder as a repository under a name of its own, publishes, and unregisters it (which matters on
    Windows, where the list stays the real user's). Publish-PSResource checks the manifest with Test-ModuleManifest
    and packs every file of the module's folder: the assemblies, help, fonts, licence and the native drawing
    libraries of every platform in NativeRuntimes. The folder repository is emptied first.
    .PARAMETER ModuleDir
    The built module's version folder; default output/MlpTools/<version>/ (Build-MlpModule makes it).
    .PARAMETER Destination
    The folder repository; default output/packages/.
    #>
    param(
        [string] $ModuleDir = (Split-Path -Parent (Get-BuiltManifestPath)),
        [string] $Destination = (Join-Path $OutputRoot 'packages')
    )
    $manifest = Join-Path $ModuleDir 'MlpTools.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "No built module in '$ModuleDir' (MlpTools.psd1 missing); run 'dotnet pwsh ./build.ps1 -Task Build' first."
    }
    $version = (Import-PowerShellDataFile -LiteralPath $manifest).ModuleVersion
    $repository = (Reset-Folder $Destination | Resolve-Path).ProviderPath
    $scratch = Join-Path ([IO.Path]::GetTempPath()) "mlptools-package-$([guid]::NewGuid().ToString('N'))"
    try {
        $environment = New-IsolatedUserEnvironment -Path $scratch
        $name = "MlpToolsBuild$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $command = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name '$name' -Uri $(ConvertTo-SingleQuotedLiteral $repository) -Trusted
try { Publish-PSResource -Path $(ConvertTo-SingleQuotedLiteral $ModuleDir) -Repository '$name' }
finally { Unregister-PSResourceRepository -Name '$name' }
"@
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $exitCode = Invoke-FreshPwsh -Command $command -Environment $environment
        if ($exitCode -ne 0) { throw "Publish-PSResource failed (exit code $exitCode); its error is above." }
    }
    finally {
        Remove-Item -LiteralPath $scratch -Recurse -Force -ErrorAction Ignore
    }
    $package = Get-Item -LiteralPath (Join-Path $repository "MlpTools.$version.nupkg") -ErrorAction Ignore
    if (-not $package) { throw "Publish-PSResource reported success, but '$repository' holds no MlpTools.$version.nupkg." }
    $content = Get-MlpPackageContent -Path $package.FullName
    Write-Host ('Package: {0} ({1:N1} MB, {2} files, {3:0.0} s)' -f $package.FullName, ($package.Length / 1MB), $content.Files.Count, $clock.Elapsed.TotalSeconds)
    foreach ($folder in $content.Folders) {
        $name = if ($folder.Name -eq '.') { 'at the root' } else { "$($folder.Name)/" }
        Write-Host ('  {0,-12} {1,3} file{2}, {3,5:N1} MB unpacked' -f $name, $folder.Count, $(if ($folder.Count -ne 1) { 's' }), ($folder.Length / 1MB))
    }
    foreach ($platform in $content.Native.Keys) {
        Write-Host ('  runtimes/{0}/native/: {1}' -f $platform, ($content.Native[$platform] -join ', '))
    }
    return $package
}

function Get-MlpPackageContent {
    <#
    .SYNOPSIS
    What a .nupkg holds (it is a zip): Files (every file's path and Length, uncompressed), Folders (each top-level
    folder, or '.' for the files at the root, with its Count and Length) and Native (the native libraries' names by
    their platform folder under runtimes/).
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $zip = [IO.Compression.ZipFile]::OpenRead($Path)
    try {
        $files = @($zip.Entries | Where-Object Name | ForEach-Object { [pscustomobject]@{ Path = $_.FullName; Length = $_.Length } } | Sort-Object Path)
    }
    finally { $zip.Dispose() }
    $native = [ordered]@{}
    foreach ($file in $files) {
        if ($file.Path -match '^runtimes/([^/]+)/native/([^/]+)$') {
            if (-not $native.Contains($Matches[1])) { $native[$Matches[1]] = [Collections.Generic.List[string]]::new() }
            $native[$Matches[1]].Add($Matches[2])
        }
    }
    $folders = $files | Group-Object { if ($_.Path -match '^([^/]+)/') { $Matches[1] } else { '.' } } | ForEach-Object {
        [pscustomobject]@{ Name = $_.Name; Count = $_.Count; Length = ($_.Group | Measure-Object Length -Sum).Sum }
    }
    [pscustomobject]@{ Files = $files; Folders = @($folders); Native = $native }
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
    return Read-TrxResult -Path $trx -ExitCode $exitCode
}

function Read-TrxResult {
    <#
    .SYNOPSIS
    The counts (Passed, Failed, Skipped) and failed tests' names in a TRX file that dotnet test wrote; a non-zero exit
    code without a failed test counts as one failure.
    #>
    param([Parameter(Mandatory)] [string] $Path, [int] $ExitCode)
    $run = ([xml](Get-Content -Raw -LiteralPath $Path)).TestRun
    $c = $run.ResultSummary.Counters
    # Skipped tests are in no counter: they are the results with outcome NotExecuted.
    $skipped = @($run.SelectNodes("//*[local-name()='UnitTestResult'][@outcome='NotExecuted']")).Count
    $failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
    if ($ExitCode -ne 0 -and $failed -eq 0) {
        Write-Host "xunit: dotnet test exited $ExitCode without a failed test; counting one failure."
        $failed = 1
    }
    $failedTests = @($run.SelectNodes("//*[local-name()='UnitTestResult'][@outcome!='Passed' and @outcome!='NotExecuted']") |
        ForEach-Object {
            $message = $_.SelectSingleNode(".//*[local-name()='Message']")
            Format-FailedTest $_.testName $(if ($message) { $message.InnerText })
        })
    return [pscustomobject]@{ Passed = [int]$c.passed; Failed = $failed; Skipped = $skipped; FailedTests = $failedTests }
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
    return [pscustomobject]@{
        Passed = [int]$c.Passed; Failed = [int]$c.Failed; Skipped = [int]$c.Skipped; FailedTests = @($c.FailedTests)
    }
}

function Format-FailedTest {
    <#
    .SYNOPSIS
    One line naming a failed test and the first line of its message, for the Test task's closing summary.
    #>
    param([Parameter(Mandatory)] [string] $Name, [string] $Message)
    $first = if ($Message) { ($Message.Trim() -split '\r?\n', 2)[0].Trim() } else { '' }
    if ($first.Length -gt 200) { $first = $first.Substring(0, 200) + '...' }
    if ($first) { "${Name}: $first" } else { $Name }
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
        $failedTests = @(if ($counts.PSObject.Properties['FailedTests']) { $counts.FailedTests })
    }
    catch {
        Write-Host "$Name failed: $_"
        $counts = [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
        $failedTests = @("$Name failed: $_")
    }
    [pscustomobject]@{
        Name = $Name; Seconds = $clock.Elapsed.TotalSeconds
        Passed = $counts.Passed; Failed = $counts.Failed; Skipped = $counts.Skipped; FailedTests = $failedTests
    }
}

function Write-TestSummary {
    <#
    .SYNOPSIS
    Prints the failed tests' names (so the end of a long log says what failed), the steps' times, then, as the very
    last line, "Tests: N passed, M failed" (", K skipped" when K > 0); returns the exit code: 1 when M > 0.
    #>
    param([Parameter(Mandatory)] [object[]] $Steps)
    $shown = 20
    foreach ($step in $Steps) {
        $names = @(if ($step.PSObject.Properties['FailedTests']) { $step.FailedTests | Where-Object { $_ } })
        foreach ($name in ($names | Select-Object -First $shown)) { Write-Host "Failed ($($step.Name)): $name" }
        if ($names.Count -gt $shown) { Write-Host "Failed ($($step.Name)): $($names.Count - $shown) more, in output/TestResults" }
    }
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

# ------------------------------------------------------------------------------------------------ the test SSH server

# How Use-TestSshd hands the server to the tests (tools/Invoke-Pester.ps1 runs them inside it), and
# Get-TestSshConnection reads it back: environment variables, which reach every pwsh the tests start.
$TestSshVariables = [ordered]@{
    HostName    = 'MLPTOOLS_TEST_SSH_HOST'
    Port        = 'MLPTOOLS_TEST_SSH_PORT'
    UserName    = 'MLPTOOLS_TEST_SSH_USER'
    KeyFilePath = 'MLPTOOLS_TEST_SSH_KEY'
    Options     = 'MLPTOOLS_TEST_SSH_OPTIONS'       # the ssh client's -o options, as JSON
    Unavailable = 'MLPTOOLS_TEST_SSH_UNAVAILABLE'   # instead of the others: why there is no server
}

function Find-Sshd {
    <# .SYNOPSIS The absolute path of OpenSSH's server, sshd (often outside a user's PATH), or nothing. #>
    $found = Get-Command sshd -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($found) { return $found.Source }
    return @('/usr/sbin/sshd', '/usr/local/sbin/sshd') | Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } |
        Select-Object -First 1
}

function Get-PinnedPwshAppHost {
    <#
    .SYNOPSIS
    The native pwsh app host of the PowerShell tool package the tool manifest pins:
    <NuGet packages>/powershell/<version>/tools/<framework>/any/unix/pwsh, made executable if it is not.
    .DESCRIPTION
    It is the same PowerShell as `dotnet pwsh`, but a program of its own, as sshd's Subsystem line needs. It finds
    the .NET runtime through DOTNET_ROOT (Get-DotNetRoot).
    #>
    $manifest = @('.config/dotnet-tools.json', 'dotnet-tools.json') | ForEach-Object { Join-Path $RepoRoot $_ } |
        Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
    if (-not $manifest) { throw "No tool manifest (dotnet-tools.json) in $RepoRoot." }
    $version = (Get-Content -Raw -LiteralPath $manifest | ConvertFrom-Json).tools.powershell.version
    if (-not $version) { throw "$manifest pins no version of the powershell tool." }
    $package = Join-Path (Get-NuGetPackagesFolder) "powershell/$version"
    $appHost = Get-ChildItem -Path (Join-Path $package 'tools/*/any/unix/pwsh') -File -ErrorAction Ignore |
        Sort-Object FullName -Descending | Select-Object -First 1
    if (-not $appHost) {
        throw "The PowerShell $version that $manifest pins has no native pwsh in $package/tools/<framework>/any/unix/: run 'dotnet tool restore'."
    }
    if (-not ($appHost.UnixFileMode -band [IO.UnixFileMode]::UserExecute)) {
        [IO.File]::SetUnixFileMode($appHost.FullName, $appHost.UnixFileMode -bor [IO.UnixFileMode]::UserExecute)
    }
    return $appHost.FullName
}

function Get-DotNetRoot {
    <# .SYNOPSIS The .NET installation that `dotnet` runs: $env:DOTNET_ROOT, else the folder of the real dotnet program. #>
    if ($env:DOTNET_ROOT) { return $env:DOTNET_ROOT }
    $dotnet = Get-Item -LiteralPath (Get-Command dotnet -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $target = $dotnet.ResolveLinkTarget($true)
    $root = Split-Path -Parent $(if ($target) { $target.FullName } else { $dotnet.FullName })
    if (-not (Test-Path -LiteralPath (Join-Path $root 'shared/Microsoft.NETCore.App'))) {
        throw "The dotnet program in $root has no runtime beside it (shared/Microsoft.NETCore.App); set DOTNET_ROOT to the .NET installation."
    }
    return $root
}

function Get-ChildProcessId {
    <# .SYNOPSIS The ids of a process's descendants, children first (Linux, from /proc; elsewhere none). #>
    param([Parameter(Mandatory)] [int] $Id)
    if (-not $IsLinux) { return }
    $parents = @{}
    foreach ($folder in [IO.Directory]::GetDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($folder)
        if ($name -notmatch '^\d+$') { continue }
        # pid (comm) state ppid ...: comm may hold spaces and brackets, so read after its last ')'.
        try { $text = [IO.File]::ReadAllText("$folder/stat") } catch { continue }   # a process that just ended
        $parents[[int]$name] = [int]$text.Substring($text.LastIndexOf(')') + 2).Split(' ')[1]
    }
    $found = [Collections.Generic.List[int]]::new()
    $queue = [Collections.Generic.Queue[int]]::new([int[]]@($Id))
    while ($queue.Count) {
        $parent = $queue.Dequeue()
        foreach ($child in @($parents.Keys | Where-Object { $parents[$_] -eq $parent })) {
            $found.Add($child)
            $queue.Enqueue($child)
        }
    }
    return $found.ToArray()
}

function Get-RunningProcessId {
    <#
    .SYNOPSIS
    Those of the given process ids that still run: not gone, and not ended and waiting for their parent (a zombie).
    #>
    param([int[]] $Id)
    foreach ($one in $Id) {
        if ($IsLinux) {
            try { $stat = [IO.File]::ReadAllText("/proc/$one/stat") } catch { continue }
            if ($stat[$stat.LastIndexOf(')') + 2] -ne 'Z') { $one }
        }
        elseif (Get-Process -Id $one -ErrorAction Ignore) { $one }
    }
}

function Start-TestSshd {
    <#
    .SYNOPSIS
    Starts a private OpenSSH server on 127.0.0.1 for the remoting tests; returns how to reach it (HostName, Port,
    UserName, KeyFilePath, Options: the parameters of New-PSSession) and what Stop-TestSshd needs.
    .DESCRIPTION
    Everything it uses lives in a new temporary folder that only its owner can open: ed25519 host and client keys
    (ssh-keygen), authorized_keys (the client key, accepted from 127.0.0.1 only), known_hosts (the host key at
    [127.0.0.1]:<port>, so the client checks the host key strictly and never writes to ~/.ssh), sshd_config, the pid
    file and the log. The server listens on a free port of 127.0.0.1 only, lets in only the user running this (root
    too: by key only) and only by that key, and offers the subsystem `powershell`: the native pwsh of the pinned
    PowerShell tool package (Get-PinnedPwshAppHost) with DOTNET_ROOT to find its runtime, PSModulePath set to output/
    (so `Import-Module MlpTools` loads the built module by name) and XDG_* folders inside the temporary folder (so a
    remote session neither writes to the home folder nor loads a module installed there).

    sshd runs in the foreground of this process (-D), so it shares the terminal's Ctrl+C. When it is missing,
    Debian's openssh-server is installed with apt-get if running as root (Install-DebianPackage); otherwise this
    throws saying what to install. It throws too when the server does not answer within 15 s, with its log; whatever
    it started is stopped first.
    #>
    if (-not ($IsLinux -or $IsMacOS)) { throw 'The test SSH server runs on Linux and macOS only.' }
    $sshd = Find-Sshd
    $client = 'ssh', 'ssh-keygen' | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction Ignore) }
    if (-not $sshd -or $client) {
        Install-DebianPackage -Package openssh-server -Missing 'OpenSSH (its server sshd and client ssh)' -Elsewhere 'elsewhere, OpenSSH''s server and client'
        $sshd = Find-Sshd
        if (-not $sshd) { throw 'openssh-server is installed, but no sshd was found in the PATH, /usr/sbin or /usr/local/sbin.' }
    }
    $appHost = Get-PinnedPwshAppHost
    if ($appHost -match '\s') {
        throw "The pinned pwsh is at '$appHost', a path with a space, which sshd's Subsystem line cannot hold; set NUGET_PACKAGES to a folder without spaces and run 'dotnet tool restore'."
    }
    $dotnetRoot = Get-DotNetRoot
    $userName = [Environment]::UserName

    $folder = Join-Path ([IO.Path]::GetTempPath()) "mlptools-sshd-$([guid]::NewGuid().ToString('N'))"
    $null = [IO.Directory]::CreateDirectory($folder, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    $server = $null
    $process = $null
    try {
        foreach ($name in 'data', 'config', 'cache') { $null = New-Item -ItemType Directory -Path (Join-Path $folder "xdg-$name") }
        $hostKey = Join-Path $folder 'ssh_host_ed25519_key'
        $clientKey = Join-Path $folder 'client_ed25519'
        Invoke-Native ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'mlptools-test-host', '-f', $hostKey)
        Invoke-Native ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'mlptools-test-client', '-f', $clientKey)
        $clientPublic = (Get-Content -Raw -LiteralPath "$clientKey.pub").Trim()
        Set-Content -LiteralPath (Join-Path $folder 'authorized_keys') -Value "from=`"127.0.0.1`",restrict $clientPublic"
        $hostPublic = ((Get-Content -Raw -LiteralPath "$hostKey.pub").Trim() -split ' ')[0, 1] -join ' '

        $log = Join-Path $folder 'sshd.log'
        $config = Join-Path $folder 'sshd_config'
        $knownHosts = Join-Path $folder 'known_hosts'
        $environment = [ordered]@{
            DOTNET_ROOT                 = $dotnetRoot
            PSModulePath                = $OutputRoot
            XDG_DATA_HOME               = Join-Path $folder 'xdg-data'
            XDG_CONFIG_HOME             = Join-Path $folder 'xdg-config'
            XDG_CACHE_HOME              = Join-Path $folder 'xdg-cache'
            POWERSHELL_TELEMETRY_OPTOUT = '1'
        }
        foreach ($path in @($folder, $OutputRoot) + $environment.Values) {
            if ($path -match '["\\]') { throw "The test SSH server cannot write the path '$path' into sshd_config: it holds a quote or a backslash." }
        }
        # A port that is free now may be taken before sshd binds it: then try another.
        for ($attempt = 1; -not $server; $attempt++) {
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start()
            $port = $listener.LocalEndpoint.Port
            $listener.Stop()
            Set-Content -LiteralPath $config -Value @(
                '# The test SSH server of MlpTools'' remoting tests (tools/MlpTools.Build.psm1, Start-TestSshd); removed when they end.'
                'ListenAddress 127.0.0.1'
                "Port $port"
                "HostKey `"$hostKey`""
                "PidFile `"$(Join-Path $folder 'sshd.pid')`""
                "AuthorizedKeysFile `"$(Join-Path $folder 'authorized_keys')`""
                "AllowUsers $userName"
                'PubkeyAuthentication yes'
                'PasswordAuthentication no'
                'KbdInteractiveAuthentication no'
                'PermitRootLogin prohibit-password'
                '# The keys live in a temporary folder, whose parents (/tmp) anyone may write to.'
                'StrictModes no'
                'UsePAM no'
                'PrintMotd no'
                'X11Forwarding no'
                'AllowTcpForwarding no'
                'AllowAgentForwarding no'
                'SetEnv ' + (($environment.GetEnumerator() | ForEach-Object { "`"$($_.Key)=$($_.Value)`"" }) -join ' ')
                "Subsystem powershell $appHost -sshs -NoLogo -NoProfile")
            Remove-Item -LiteralPath $log -ErrorAction Ignore

            $startInfo = [Diagnostics.ProcessStartInfo]::new($sshd)
            foreach ($argument in '-D', '-f', $config, '-E', $log) { $startInfo.ArgumentList.Add($argument) }
            $startInfo.UseShellExecute = $false
            $startInfo.RedirectStandardInput = $true   # sshd logs to its file and reads nothing: it keeps no console stream open
            $startInfo.RedirectStandardOutput = $true
            $startInfo.RedirectStandardError = $true
            $process = [Diagnostics.Process]::Start($startInfo)
            $process.StandardInput.Close()
            $null = $process.StandardOutput.ReadToEndAsync()
            $null = $process.StandardError.ReadToEndAsync()
            $candidate = [pscustomobject]@{
                HostName = '127.0.0.1'; Port = $port; UserName = $userName; KeyFilePath = $clientKey
                Options  = @{
                    UserKnownHostsFile = $knownHosts; StrictHostKeyChecking = 'yes'; IdentitiesOnly = 'yes'; BatchMode = 'yes'
                }
                Process  = $process; Id = $process.Id; Folder = $folder; LogPath = $log
            }
            if (Wait-SshBanner -Process $process -Port $port -TimeoutSeconds 15) {
                Set-Content -LiteralPath $knownHosts -Value "[127.0.0.1]:$port $hostPublic"
                $server = $candidate
                break
            }
            $said = if (Test-Path -LiteralPath $log) { (Get-Content -Raw -LiteralPath $log).Trim() } else { '' }
            if (-not $process.HasExited) {
                throw "The test SSH server ($sshd, pid $($process.Id)) did not answer on 127.0.0.1:$port within 15 s. Its log: $said"
            }
            $process.Dispose()
            if ($said -match 'Missing privilege separation directory: (\S+)' -and $attempt -le 3) {
                # Debian's service creates it when it starts; a package installed where no service runs has none yet.
                $null = [IO.Directory]::CreateDirectory($Matches[1], [IO.UnixFileMode]'UserRead, UserWrite, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute')
                continue
            }
            if ($said -match 'Address already in use' -and $attempt -le 3) { continue }
            throw "The test SSH server ($sshd -f $config) stopped at once. Its log: $said"
        }
        return $server
    }
    finally {
        if (-not $server) {
            if ($process -and -not $process.HasExited) { $process.Kill(); $process.WaitForExit() }
            Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore
        }
    }
}

function Wait-SshBanner {
    <#
    .SYNOPSIS
    Waits until the sshd process answers on 127.0.0.1:Port with an SSH banner: $true; $false when it exits first or
    does not answer within TimeoutSeconds.
    #>
    param(
        [Parameter(Mandatory)] [Diagnostics.Process] $Process,
        [Parameter(Mandatory)] [int] $Port,
        [Parameter(Mandatory)] [int] $TimeoutSeconds
    )
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while ($clock.Elapsed.TotalSeconds -lt $TimeoutSeconds) {
        if ($Process.HasExited) { return $false }
        $socket = [Net.Sockets.TcpClient]::new()
        try {
            $socket.ReceiveTimeout = 2000
            $socket.Connect([Net.IPAddress]::Loopback, $Port)
            $banner = [IO.StreamReader]::new($socket.GetStream(), [Text.Encoding]::ASCII).ReadLine()
            if ($banner -like 'SSH-2.0-*') { return $true }
        }
        catch [Net.Sockets.SocketException], [IO.IOException] { }   # not listening yet
        finally { $socket.Dispose() }
        Start-Sleep -Milliseconds 50
    }
    return $false
}

function Stop-TestSshd {
    <#
    .SYNOPSIS
    Stops a server from Start-TestSshd by its pid, with the connections and sessions it started (SIGTERM, then
    SIGKILL after 5 s), and removes its temporary folder; with LogFolder, its log is kept there as sshd.log.
    #>
    param(
        [Parameter(Mandatory)] [object] $Server,
        [string] $LogFolder
    )
    $process = $Server.Process
    try {
        # Its connections and their sessions (a remote pwsh too), found while they are still its descendants.
        $ids = @(Get-ChildProcessId -Id $Server.Id)
        if (-not $process.HasExited) { $ids += $Server.Id }
        if ($ids) {
            # sh's own kill signals exactly these pids, on any system.
            $null = & /bin/sh -c 'kill -TERM "$@" 2>/dev/null' sh @ids
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while (($left = @(Get-RunningProcessId $ids)) -and $clock.Elapsed.TotalSeconds -lt 5) { Start-Sleep -Milliseconds 20 }
            if ($left) { $null = & /bin/sh -c 'kill -KILL "$@" 2>/dev/null' sh @left }
        }
        $process.WaitForExit()
    }
    finally {
        $process.Dispose()
        if ($LogFolder -and (Test-Path -LiteralPath $Server.LogPath)) {
            $null = New-Item -ItemType Directory -Path $LogFolder -Force
            Copy-Item -LiteralPath $Server.LogPath -Destination (Join-Path $LogFolder 'sshd.log') -Force
        }
        Remove-Item -LiteralPath $Server.Folder -Recurse -Force -ErrorAction Ignore
    }
}

function Use-TestSshd {
    <#
    .SYNOPSIS
    Runs a script block (the Pester run) with the test SSH server up and its connection in environment variables,
    and stops the server afterwards, also when the script block throws; returns the script block's output.
    .DESCRIPTION
    When the server cannot start (not root and no sshd, say), the script block still runs, with
    MLPTOOLS_TEST_SSH_UNAVAILABLE saying why: the remoting tests read it (Get-TestSshConnection) to skip, or to fail
    where they are required.
    .PARAMETER LogFolder
    Where the server's log is kept afterwards, as sshd.log.
    #>
    param(
        [Parameter(Mandatory, Position = 0)] [scriptblock] $ScriptBlock,
        [string] $LogFolder
    )
    $server = $null
    try {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        try {
            $server = Start-TestSshd
            foreach ($name in 'HostName', 'Port', 'UserName', 'KeyFilePath') {
                [Environment]::SetEnvironmentVariable($TestSshVariables[$name], "$($server.$name)")
            }
            [Environment]::SetEnvironmentVariable($TestSshVariables.Options, ($server.Options | ConvertTo-Json -Compress))
            Write-Host ('Test SSH server: {0}@{1}:{2}, pid {3}, ready in {4:0.0}s.' -f
                $server.UserName, $server.HostName, $server.Port, $server.Id, $clock.Elapsed.TotalSeconds)
        }
        catch {
            [Environment]::SetEnvironmentVariable($TestSshVariables.Unavailable, "$_")
            Write-Host "No test SSH server, so no remoting tests: $_"
        }
        & $ScriptBlock
    }
    finally {
        foreach ($name in $TestSshVariables.Values) { [Environment]::SetEnvironmentVariable($name, $null) }
        if ($server) { Stop-TestSshd -Server $server -LogFolder $LogFolder }
    }
}

function Get-TestSshConnection {
    <#
    .SYNOPSIS
    The test SSH server that Use-TestSshd started, as parameters of New-PSSession and Invoke-Command: HostName,
    Port, UserName, KeyFilePath, Options (the ssh client's -o options) and ConnectingTimeout. Throws saying why there
    is none.
    #>
    $hostName = [Environment]::GetEnvironmentVariable($TestSshVariables.HostName)
    if (-not $hostName) {
        $why = [Environment]::GetEnvironmentVariable($TestSshVariables.Unavailable)
        if (-not $why) { $why = 'none was started: tools/Invoke-Pester.ps1 starts one, and build.ps1 -Task Test runs the tests through it.' }
        throw $why
    }
    return @{
        HostName          = $hostName
        Port              = [int][Environment]::GetEnvironmentVariable($TestSshVariables.Port)
        UserName          = [Environment]::GetEnvironmentVariable($TestSshVariables.UserName)
        KeyFilePath       = [Environment]::GetEnvironmentVariable($TestSshVariables.KeyFilePath)
        Options           = [Environment]::GetEnvironmentVariable($TestSshVariables.Options) | ConvertFrom-Json -AsHashtable
        ConnectingTimeout = 30000
    }
}

# ---------------------------------------------------------------- the Bench's peers (bench/peers)

# Debian's packages the peers need: the three libraries, threadpoolctl (which BLAS they run) and OpenBLAS itself
# (without it numpy and PyTorch run the reference BLAS, many times slower).
$BenchPeerPackages = @('python3-numpy', 'python3-torch', 'python3-sklearn', 'python3-threadpoolctl', 'libopenblas0-pthread')

function Get-BenchPeerCommand {
    <#
    .SYNOPSIS
    The start of every peer's command line: /usr/bin/env with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed and
    OPENBLAS_NUM_THREADS set to -Threads (default: every core). Append the Python and its arguments.
    .DESCRIPTION
    A machine may set OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE for an older OpenBLAS; they slow a current one (or crash
    it, when the named kernel needs instructions the CPU lacks), so the peers run with both unset in their own
    command. This process's environment, and that of anything else it starts, keeps them.
    #>
    param([int] $Threads = [Environment]::ProcessorCount)
    @('/usr/bin/env', '-u', 'OPENBLAS_CORETYPE', '-u', 'OPENBLAS_L2_SIZE', "OPENBLAS_NUM_THREADS=$Threads")
}

function Install-BenchPeerPackages {
    <#
    .SYNOPSIS
    Makes sure Debian's packages the peers need are installed ($BenchPeerPackages): installs the missing ones with
    apt-get when running as root; otherwise writes a warning naming exactly what to install and returns $false
    (the caller leaves out the comparison). Returns $true when they are all there. Off Debian (no dpkg-query) it
    checks nothing and returns $true: the BLAS check that follows (Get-BenchPeerBlas) still refuses a bad peer.
    #>
    if (-not (Get-Command dpkg-query -CommandType Application -ErrorAction Ignore)) { return $true }
    $missing = @(foreach ($package in $BenchPeerPackages) {
            $status = & dpkg-query -W -f '${Status}' $package 2>$null
            if ($LASTEXITCODE -ne 0 -or "$status" -notmatch 'install ok installed') { $package }
        })
    if ($missing.Count -eq 0) { return $true }
    try {
        Install-DebianPackage -Package $missing -Missing "The Bench's peers' $($missing -join ', ')" -Elsewhere 'elsewhere, Python 3 with numpy, PyTorch, scikit-learn and threadpoolctl over OpenBLAS'
        return $true
    }
    catch {
        Write-Warning "$($_.Exception.Message) -Compare is off for this run: the figures below are MlpTools' alone."
        return $false
    }
}

function Get-BenchPeerBlas {
    <#
    .SYNOPSIS
    Reads one line of bench/peers/blas_info.py (threadpoolctl's report of the BLAS a peer runs) and returns the peer,
    its BLAS, version, threading layer, kernel and threads, with a one-line Summary; throws when the peer does not
    run OpenBLAS (the reference BLAS, which threadpoolctl does not report, or any other), saying what to install.
    .PARAMETER Report
    The JSON line blas_info.py printed.
    #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Report)
    try { $info = $Report | ConvertFrom-Json -ErrorAction Stop }
    catch { $info = $null }
    if (-not $info -or -not $info.PSObject.Properties['lib']) {
        throw "bench/peers/blas_info.py printed no report (expected one JSON line with lib, threadpools and mapped): '$Report'."
    }
    $blas = @($info.threadpools | Where-Object { $_.user_api -eq 'blas' })
    $openblas = @($blas | Where-Object { $_.internal_api -eq 'openblas' })
    $reference = @($info.mapped | Where-Object { $_ -match '/blas/lib(c)?blas\.so' })
    if ($openblas.Count -eq 0 -or $reference.Count -gt 0) {
        $found = if ($blas.Count) { ($blas | ForEach-Object { "$($_.internal_api) ($($_.filepath))" }) -join ', ' }
        elseif (@($info.mapped).Count) { "the reference BLAS ($(@($info.mapped) -join ', '))" }
        else { 'no BLAS that threadpoolctl knows: the reference BLAS' }
        throw ("The $($info.lib) peer runs $found, not OpenBLAS: numpy and PyTorch without OpenBLAS are many times slower " +
            "and a comparison against them means nothing. Install Debian's libopenblas0-pthread (sudo apt-get install libopenblas0-pthread; " +
            'it becomes libblas.so.3 through update-alternatives), or leave out -Compare.')
    }
    $b = $openblas[0]
    $threads = if ($info.lib -eq 'torch') { $info.threads } else { $b.num_threads }
    [pscustomobject]@{
        Lib       = $info.lib
        Version   = $info.version
        Blas      = "OpenBLAS $($b.version)"
        Threading = $b.threading_layer
        Kernel    = $b.architecture
        Threads   = $threads
        Path      = $b.filepath
        Summary   = "$($info.lib) $($info.version): OpenBLAS $($b.version) ($($b.threading_layer)), kernel $($b.architecture), $threads threads; $($b.filepath)"
    }
}

function Measure-PeakMemory {
    <#
    .SYNOPSIS
    The maximum resident set size (KiB) of a whole command, from GNU time (/usr/bin/time), written to a file of its own
    so that the command's own output cannot be taken for it.
    #>
    param([Parameter(Mandatory)] [string[]] $CommandLine)
    $file = [IO.Path]::GetTempFileName()
    try {
        & /usr/bin/time -f '%M' -o $file @CommandLine *> $null
        [double]((Get-Content -LiteralPath $file | Where-Object { $_ -match '^\d+$' } | Select-Object -Last 1))
    }
    finally { Remove-Item -LiteralPath $file -ErrorAction Ignore }
}

Export-ModuleMember -Function Get-PwshCommand, Invoke-Process, Invoke-Native, Install-DebianPackage, Get-ReferencePython, Invoke-FreshPwsh, ConvertTo-SingleQuotedLiteral,
    New-IsolatedUserEnvironment, Invoke-DotNetBuild, Get-NuGetPackagesFolder, Get-TestPackageFolder, Reset-Folder, Get-ModuleVersion, Get-BuiltManifestPath, Build-MlpModule,
    Get-NativeRuntime, Install-MlpModule, New-MlpPackage, Get-MlpPackageContent, Clear-BuildOutput,
    Invoke-XunitTests, Read-TrxResult, Invoke-PesterTests, Format-FailedTest, Measure-TestStep, Write-TestSummary,
    Find-Sshd, Get-PinnedPwshAppHost, Get-DotNetRoot, Get-ChildProcessId, Get-RunningProcessId, Start-TestSshd, Stop-TestSshd, Use-TestSshd, Get-TestSshConnection,
    Get-BenchPeerCommand, Install-BenchPeerPackages, Get-BenchPeerBlas, Measure-PeakMemory

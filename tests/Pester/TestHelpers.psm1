# Shared helpers for the Pester tests. Import in BeforeAll:
#     Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
# Get-PwshCommand is build.ps1's own (tools/MlpTools.Build.psm1), passed on from here: one copy for both; so are
# ConvertTo-SingleQuotedLiteral, New-IsolatedUserEnvironment (a throwaway user's folders for a fresh pwsh),
# New-MlpPackage and Get-MlpPackageContent (build.ps1 -Task Package's steps), Get-TestSshConnection, the test SSH
# server that tools/Invoke-Pester.ps1 starts, which New-TestSshSession uses, Get-TestPackageFolder, the NuGet packages
# tools/Pester.proj brings in for the tests, and Get-ReferencePython, the Python with numpy that runs the reference
# scripts under tests/reference.

Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../../tools/MlpTools.Build.psm1') -Function Get-PwshCommand, ConvertTo-SingleQuotedLiteral,
    New-IsolatedUserEnvironment, New-MlpPackage, Get-MlpPackageContent, Get-TestSshConnection, Get-TestPackageFolder, Get-ReferencePython

function Invoke-InFreshPwsh {
    <#
    .SYNOPSIS
    Runs a script block in a fresh `pwsh -NoProfile -NonInteractive` with the built module imported.
    .DESCRIPTION
    The script block runs in a new process, so it sees the module exactly as a user who just
    opened a shell would. Arguments go in, and the script block's output comes back, through
    CliXml files, so the output objects are deserialized copies (property values intact).
    Returns an object with:
      ExitCode  the child's exit code (1 when the script block threw)
      Output    the script block's output objects
      StdOut    everything the child printed (Write-Host, etc.)
      StdErr    the child's error text
    Start-FreshPwsh and Wait-FreshPwsh do the same in two steps, so several children can run at once.
    .PARAMETER ScriptBlock
    The code to run. It receives -ArgumentList as $args (or through its param block).
    .PARAMETER ModulePath
    The manifest to import first. Default: $env:MLPTOOLS_MODULE_PATH.
    .PARAMETER NoModule
    Do not import any module first.
    .PARAMETER Environment
    Environment variables to set (or, with a $null value, remove) for the child, on top of this process's; for
    example New-IsolatedUserEnvironment's, so that the child writes nothing to the user's own folders.
    .PARAMETER TimeoutSeconds
    Kill the child and throw after this long. Default: 300.
    .EXAMPLE
    $r = Invoke-InFreshPwsh { (Get-Module MlpTools).Version.ToString() }
    $r.ExitCode | Should -Be 0
    $r.Output | Should -Be '0.1.0'
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [scriptblock] $ScriptBlock,
        [object[]] $ArgumentList = @(),
        [string] $ModulePath = $env:MLPTOOLS_MODULE_PATH,
        [switch] $NoModule,
        [Collections.IDictionary] $Environment = @{},
        [int] $TimeoutSeconds = 300
    )
    $child = Start-FreshPwsh -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList -ModulePath $ModulePath -NoModule:$NoModule -Environment $Environment
    Wait-FreshPwsh -Child $child -TimeoutSeconds $TimeoutSeconds
}

function Start-FreshPwsh {
    <#
    .SYNOPSIS
    Starts a script block in a fresh pwsh, as Invoke-InFreshPwsh does, without waiting for it.
    .DESCRIPTION
    Returns a handle for Wait-FreshPwsh, which waits, cleans up and returns what Invoke-InFreshPwsh returns.
    Always pass the handle to Wait-FreshPwsh (in a finally block), so the child and its files go away.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [scriptblock] $ScriptBlock,
        [object[]] $ArgumentList = @(),
        [string] $ModulePath = $env:MLPTOOLS_MODULE_PATH,
        [switch] $NoModule,
        [Collections.IDictionary] $Environment = @{}
    )

    $work = Join-Path ([IO.Path]::GetTempPath()) ("mlptools-pester-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $work
    try {
        $argsFile = Join-Path $work 'args.clixml'
        $outFile = Join-Path $work 'out.clixml'
        Export-Clixml -LiteralPath $argsFile -InputObject $ArgumentList -Depth 4

        $import = ''
        if (-not $NoModule) {
            if (-not $ModulePath) { throw 'No module to import: set $env:MLPTOOLS_MODULE_PATH or pass -ModulePath (or -NoModule).' }
            $import = "Import-Module -Name $(ConvertTo-SingleQuotedLiteral $ModulePath) -ErrorAction Stop"
        }
        $script = @"
`$ErrorActionPreference = 'Stop'
$import
`$__args = @(Import-Clixml -LiteralPath $(ConvertTo-SingleQuotedLiteral $argsFile) | ForEach-Object { `$_ })   # the list comes back as one object: unroll it
`$__output = @(& { $ScriptBlock } @__args)
Export-Clixml -LiteralPath $(ConvertTo-SingleQuotedLiteral $outFile) -InputObject `$__output -Depth 4
"@
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))

        $pwsh = @(Get-PwshCommand)
        $startInfo = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
        foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)) {
            $startInfo.ArgumentList.Add($a)
        }
        foreach ($name in $Environment.Keys) { $startInfo.Environment[$name] = $Environment[$name] }
        $startInfo.UseShellExecute = $false
        $startInfo.RedirectStandardOutput = $true
        $startInfo.RedirectStandardError = $true
        $startInfo.RedirectStandardInput = $true
        $startInfo.WorkingDirectory = $work

        $process = [Diagnostics.Process]::Start($startInfo)
        $process.StandardInput.Close()
        [pscustomobject]@{
            Process = $process
            Work    = $work
            OutFile = $outFile
            StdOut  = $process.StandardOutput.ReadToEndAsync()
            StdErr  = $process.StandardError.ReadToEndAsync()
        }
    }
    catch {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
        throw
    }
}

function Wait-FreshPwsh {
    <#
    .SYNOPSIS
    Waits for a child started by Start-FreshPwsh; returns ExitCode, Output, StdOut and StdErr (see Invoke-InFreshPwsh).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [object] $Child,
        [int] $TimeoutSeconds = 300
    )
    try {
        $process = $Child.Process
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "The fresh pwsh did not finish within $TimeoutSeconds s."
        }
        $process.WaitForExit()

        $output = if (Test-Path -LiteralPath $Child.OutFile) { Import-Clixml -LiteralPath $Child.OutFile } else { @() }
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = $output
            StdOut   = $Child.StdOut.Result
            StdErr   = $Child.StdErr.Result
        }
    }
    finally {
        $Child.Process.Dispose()
        Remove-Item -LiteralPath $Child.Work -Recurse -Force -ErrorAction Ignore
    }
}

function Get-ErrorRecord {
    <#
    .SYNOPSIS
    Runs a script block and returns every error it raised, terminating or not, as the user would see them.
    .DESCRIPTION
    Non-terminating errors (one per bad pipeline object) are written and go on; a terminating one ends the block.
    Both are returned, in order, so a test can count them: one error for a whole table of bad rows, not one per row.
    #>
    param([Parameter(Mandatory)] [scriptblock] $ScriptBlock)
    $out = & { $ErrorActionPreference = 'Continue'; try { & $ScriptBlock } catch { $_ } } 2>&1
    @($out | Where-Object { $_ -is [Management.Automation.ErrorRecord] })
}

function Get-TestSshSkipReason {
    <#
    .SYNOPSIS
    Why the remoting tests cannot run here, as a sentence for Set-ItResult -Because; $null when they can.
    .DESCRIPTION
    They need the test SSH server that tools/Invoke-Pester.ps1 starts (Use-TestSshd in tools/MlpTools.Build.psm1);
    when it could not start, its reason says what to install.
    Where they are required (MLPTOOLS_REQUIRE_REMOTING=1, as .ci/run sets), this throws instead of skipping.
    #>
    try {
        $null = Get-TestSshConnection
        return $null
    }
    catch { $why = "$_" }
    if ($env:MLPTOOLS_REQUIRE_REMOTING -eq '1') {
        throw "The remoting tests are required here (MLPTOOLS_REQUIRE_REMOTING=1) but have no test SSH server: $why"
    }
    return "there is no test SSH server: $why"
}

function New-TestSshSession {
    <#
    .SYNOPSIS
    Opens PowerShell sessions over SSH to the test SSH server (Get-TestSshConnection): -Count of them at once, each
    its own remote pwsh. Throws when they cannot be opened; close them with Remove-PSSession.
    .EXAMPLE
    $sessions = New-TestSshSession -Count 2
    try { Invoke-Command -Session $sessions { $PID } } finally { $sessions | Remove-PSSession }
    #>
    [CmdletBinding()]
    param([ValidateRange(1, 8)] [int] $Count = 1)
    $connection = Get-TestSshConnection
    # One host name per session wanted: New-PSSession opens them in parallel.
    $connection.HostName = @($connection.HostName) * $Count
    $sessions = @(New-PSSession @connection -ErrorAction Stop)
    if ($sessions.Count -ne $Count) {
        $sessions | Remove-PSSession
        throw "Asked the test SSH server for $Count sessions and got $($sessions.Count)."
    }
    return $sessions
}

function Get-ParameterHash {
    <#
    .SYNOPSIS
    The bits of a network's parameters (W1, b1, W2, b2) as SHA-256 hashes: equal exactly when every weight is. (A network's
    model bytes also hold each epoch's seconds, which differ from run to run.)
    #>
    param([Parameter(Mandatory)] $Network)
    $parts = foreach ($p in $Network.W1, $Network.b1, $Network.W2, $Network.b2) {
        $values = if ($p -is [MathNet.Numerics.LinearAlgebra.Matrix[float]] -or $p -is [MathNet.Numerics.LinearAlgebra.Matrix[double]]) { , $p.ToColumnMajorArray() } else { , $p.ToArray() }
        $bytes = [byte[]]::new([Buffer]::ByteLength($values))
        [Buffer]::BlockCopy($values, 0, $bytes, 0, $bytes.Length)
        [Convert]::ToBase64String([Security.Cryptography.SHA256]::HashData($bytes))
    }
    $parts -join ':'
}

function Get-Fingerprint {
    <#
    .SYNOPSIS
    What identifies each result of a sweep, in trial order, down to the bits of its network: one line per trial.
    #>
    param($Results)
    foreach ($r in $Results | Sort-Object Trial) {
        $net = if ($r.Network) { Get-ParameterHash $r.Network }
        '{0}|{1}|{2:R}|{3:R}|{4}|{5}|{6}|{7}' -f $r.Trial, $r.Seed, $r.Score, $r.ValidationLoss, $r.Epochs, $r.Status, $r.Settings, $net
    }
}

Export-ModuleMember -Function Get-PwshCommand, ConvertTo-SingleQuotedLiteral, New-IsolatedUserEnvironment, New-MlpPackage, Get-MlpPackageContent, Get-ErrorRecord, Invoke-InFreshPwsh, Start-FreshPwsh, Wait-FreshPwsh,
    Get-TestSshConnection, Get-TestSshSkipReason, New-TestSshSession, Get-TestPackageFolder, Get-ReferencePython, Get-ParameterHash, Get-Fingerprint

# Invoke-MlpSweep -Session over real SSH remoting: sessions to the private OpenSSH server that tools/Invoke-Pester.ps1
# starts on 127.0.0.1 (see Remoting.Tests.ps1). The trials run in the sessions' pwsh processes; their results must be
# the bits of the same sweep run here, the data must cross once per session, a session that dies must have its trial
# run again elsewhere, and Ctrl+C must stop the remote trials too.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force

    $script:Sessions = @()
    $script:SkipReason = Get-TestSshSkipReason   # throws where remoting is required but has no server
    if ($SkipReason) { return }
    $script:Sessions = New-TestSshSession -Count 2
    $script:Digits = Import-Dataset -Name Digits

    # Bytes read so far by the sshd process that serves a session (the parent of its remote pwsh): what the client
    # sent it over the socket, and what its pwsh wrote back.
    function Get-SshdReadBytes([int[]] $RemotePids) {
        $total = 0
        foreach ($remote in $RemotePids) {
            $parent = [int]((Get-Content "/proc/$remote/stat" -Raw) -replace '(?s)^.*\) \S+ (\d+) .*$', '$1')
            $total += [long]((@(Get-Content "/proc/$parent/io") -match '^rchar:')[0] -replace '\D', '')
        }
        $total
    }
}

AfterAll {
    if ($Sessions) { $Sessions | Remove-PSSession }
}

Describe 'Invoke-MlpSweep -Session' {
    BeforeEach {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason }
    }

    It 'gives the bits of the same sweep run here, each result saying where it ran' {
        # Trials long enough (a few hundred milliseconds) that both sessions take some: with shorter ones, the session
        # whose worker starts first could finish them all before the other asks for one (seen once with trials of
        # 40 epochs, tens of milliseconds, on a busy host: every trial ran in the first session).
        $space = [ordered]@{ HiddenSize = 8, 24; LearningRate = 0.2, 0.05; Epochs = 200 }
        $remote = @($Digits | Invoke-MlpSweep $space -Seed 21 -KeepNetwork All -Session $Sessions)
        $local = @($Digits | Invoke-MlpSweep $space -Seed 21 -KeepNetwork All -ThrottleLimit 2)
        $remote.Count | Should -Be 4
        Get-Fingerprint $remote | Should -Be (Get-Fingerprint $local)
        $remote | ForEach-Object { $_.Network | Should -BeOfType ([MlpTools.Core.Model.Mlp]) }   # live, not a bag
        $remote.ComputerName | Sort-Object -Unique | Should -Be $Sessions[0].ComputerName
        ($remote.SessionId | Sort-Object -Unique) | Should -Be ($Sessions.Id | Sort-Object)
        $local.SessionId | Should -Be $null, $null, $null, $null
        @($remote | Where-Object IsBest).Count | Should -Be 1
        ($remote | Where-Object IsBest).Trial | Should -Be ($local | Where-Object IsBest).Trial
    }

    It 'matches the same sweep run here with cross-validation, and its best network is trained on all the data here' {
        $space = @{ HiddenSize = 6, 12; Epochs = 3 }
        $remote = @($Digits | Invoke-MlpSweep $space -Folds 3 -Seed 4 -Session $Sessions)
        $local = @($Digits | Invoke-MlpSweep $space -Folds 3 -Seed 4)
        Get-Fingerprint $remote | Should -Be (Get-Fingerprint $local)
        ($remote | Where-Object IsBest).Network | Should -Not -BeNullOrEmpty
    }

    It 'sends the data once per session, not once per trial' {
        $remotePids = Invoke-Command -Session $Sessions { $PID }
        $dataBytes = [MlpTools.Core.Persistence.DatasetBytes]::ToBytes($Digits).Length
        $before = Get-SshdReadBytes $remotePids
        $r = @($Digits | Invoke-MlpSweep @{ HiddenSize = 4, 5, 6, 7, 8, 9, 10, 11; Epochs = 1 } -Seed 1 -KeepNetwork None -Session $Sessions -Verbose 4>&1)
        $read = (Get-SshdReadBytes $remotePids) - $before
        $sent = @($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Sent the data to*' })
        $sent.Count | Should -Be 2
        $sent | ForEach-Object { $_.Message | Should -BeLike "*once: $($dataBytes.ToString('N0', [cultureinfo]::InvariantCulture)) bytes*" }
        @($r | Where-Object { $_.PSObject.TypeNames -contains 'MlpTools.SweepResult' }).Count | Should -Be 8
        # Each session's copy crosses as base64 in XML (4/3 of the bytes), encrypted; 8 copies would be over 6 MB.
        $read | Should -BeGreaterThan (2 * $dataBytes)
        $read | Should -BeLessThan (2 * $dataBytes * 4 / 3 * 1.5 + 8 * 100KB)
    }

    It 'runs the trial of a session that goes away on the others, warns, and still gives the bits of a local run' {
        # The session is closed under the sweep while it runs a trial. (Killing its remote pwsh instead makes
        # PowerShell 7.6's SSH client itself crash, now and then, with an unhandled IOException in
        # SSHClientSessionTransportManager.CloseConnection, which would end this test run.)
        $space = @{ HiddenSize = 16, 20, 24, 28, 32, 36; Epochs = 30 }
        $spare = New-TestSshSession -Count 2
        try {
            $closed = $false
            $remote = @($Digits | Invoke-MlpSweep $space -Seed 8 -KeepNetwork All -Session $spare -WarningVariable warned -WarningAction SilentlyContinue |
                    ForEach-Object {
                        if (-not $closed) { Remove-PSSession -Session $spare[1]; $closed = $true }
                        $_
                    })
            $local = @($Digits | Invoke-MlpSweep $space -Seed 8 -KeepNetwork All)
            $remote.Count | Should -Be 6
            Get-Fingerprint $remote | Should -Be (Get-Fingerprint $local)
            "$warned" | Should -BeLike "*session to '$($spare[1].ComputerName)' failed*runs again on another session*"
            @($remote | Where-Object SessionId -EQ $spare[0].Id).Count | Should -BeGreaterOrEqual 5
        }
        finally { $spare | Remove-PSSession }
    }

    It 'refuses, naming the machine, a session that cannot import this version of MlpTools' {
        $bare = New-TestSshSession -Count 1
        try {
            Invoke-Command -Session $bare { $env:PSModulePath = '/nonexistent' }
            $err = { $Digits | Invoke-MlpSweep @{ HiddenSize = 4 } -Session $bare -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be 'SweepModuleMissing,MlpTools.Commands.InvokeMlpSweepCommand'
            $err.Exception.Message | Should -BeLike "MlpTools $((Get-Module MlpTools).Version) cannot be imported on '$($bare[0].ComputerName)'*Install*"
        }
        finally { $bare | Remove-PSSession }
    }

    It 'stops the remote trials on Ctrl+C and keeps the finished results' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module, $Sessions)
                Import-Module $Module
                Import-Dataset -Name Digits | Invoke-MlpSweep @{ HiddenSize = 4, 6, 300, 400, 500; Epochs = 1, 3000 } -Seed 1 -Session $Sessions -OutVariable global:finished
            }).AddArgument($env:MLPTOOLS_MODULE_PATH).AddArgument($Sessions)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $null = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $waited = [Diagnostics.Stopwatch]::StartNew()
            while ($output.Count -lt 1 -and $waited.Elapsed.TotalSeconds -lt 120) { Start-Sleep -Milliseconds 50 }
            $output.Count | Should -BeGreaterOrEqual 1
            $stopping = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $stopping.Elapsed.TotalSeconds | Should -BeLessThan 60   # 3000 epochs of H=500 would take many minutes
            @($ps.Runspace.SessionStateProxy.GetVariable('finished')).Count | Should -BeGreaterOrEqual 1
            # The sessions are free again at once: nothing is still training there.
            $answer = [Diagnostics.Stopwatch]::StartNew()
            Invoke-Command -Session $Sessions { 'free' } | Should -Be 'free', 'free'
            $answer.Elapsed.TotalSeconds | Should -BeLessThan 30
        }
        finally { $ps.Dispose() }
    }
}

# The module and its networks over real PowerShell remoting: SSH sessions to the private OpenSSH server that
# tools/Invoke-Pester.ps1 starts on 127.0.0.1 for the run (Use-TestSshd in tools/MlpTools.Build.psm1), whose
# powershell subsystem is the pinned pwsh with output/ on its PSModulePath. Where there is no such server the tests
# are skipped and say why; where they are required (MLPTOOLS_REQUIRE_REMOTING=1, as on CI) they fail instead.
#
# PowerShell's SSH client gives its sessions PowerShell's own type data only, not MlpTools': what the caller sends is
# serialized without a network's bytes, and what it receives is not converted back (about_MlpTools, JOBS, REMOTING AND
# CLIXML). The remote side, with MlpTools imported, applies it. So a network moves live as PSSerializer text, and one
# returned plainly arrives with its model as a bag that network parameters and a cast convert.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $env:MLPTOOLS_MODULE_PATH -Force

    $script:Sessions = @()
    $script:SkipReason = Get-TestSshSkipReason   # throws where remoting is required but has no server
    if ($SkipReason) { return }

    # Two at once, as a sweep over two machines would open them.
    $script:Sessions = New-TestSshSession -Count 2
    Invoke-Command -Session $Sessions { Import-Module MlpTools -ErrorAction Stop }

    $script:Digits = Import-Dataset -Name Digits
    $script:Local = $Digits | New-Mlp -HiddenSize 12 -Seed 1 | Invoke-Training -Epochs 3 -Seed 1 -Optimizer Adam

    # Every class probability of every Digits sample, in order.
    function Get-Probabilities($Network) {
        , [double[]]@((Invoke-MlpPrediction -Network $Network -Dataset $Digits).Probabilities | ForEach-Object { $_ })
    }
    # Whether two arrays hold the same values (of the same type) in the same order.
    function Test-Same([Array] $Left, [Array] $Right) { [Linq.Enumerable]::SequenceEqual([object[]]$Left, [object[]]$Right) }
}

AfterAll {
    if ($Sessions) { $Sessions | Remove-PSSession }
}

Describe 'Remoting over SSH' {
    BeforeEach {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason }
    }

    It 'imports MlpTools by name in a remote session: the built module, at the local version, in the pinned PowerShell' {
        $remote = Invoke-Command -Session $Sessions[0] {
            $module = Get-Module MlpTools
            [pscustomobject]@{ Version = "$($module.Version)"; Base = $module.ModuleBase; PowerShell = "$($PSVersionTable.PSVersion)"; Id = $PID }
        }
        $remote.Version | Should -Be "$((Get-Module MlpTools).Version)"
        $remote.Base | Should -Be (Get-Module MlpTools).ModuleBase
        $remote.PowerShell | Should -Be "$($PSVersionTable.PSVersion)"
        $remote.Id | Should -Not -Be $PID
    }

    It 'works in two sessions at once, each its own pwsh, and the same seed trains the same network in both' {
        $out = Invoke-Command -Session $Sessions {
            $net = Import-Dataset -Name Digits | New-Mlp -HiddenSize 8 -Seed 2 | Invoke-Training -Epochs 1 -Seed 2
            [pscustomobject]@{ Id = $PID; Weights = [float[]]@($net.W1.ToColumnMajorArray() + $net.W2.ToColumnMajorArray()) }
        }
        @($out).Count | Should -Be 2
        @($out.Id | Sort-Object -Unique).Count | Should -Be 2
        $out.Id | Should -Not -Contain $PID
        Test-Same ([float[]]$out[0].Weights) ([float[]]$out[1].Weights) | Should -BeTrue
    }

    It 'moves a network trained here to a remote session and back as PSSerializer text, live on both sides and identical' {
        $text = Invoke-Command -Session $Sessions[0] -ArgumentList ([System.Management.Automation.PSSerializer]::Serialize($Local)) {
            param($Text)
            $net = [System.Management.Automation.PSSerializer]::Deserialize($Text)
            if ($net -isnot [MlpTools.Core.Model.Mlp]) { throw "arrived as $($net.PSObject.TypeNames[0])" }
            [System.Management.Automation.PSSerializer]::Serialize($net)
        }
        $back = [System.Management.Automation.PSSerializer]::Deserialize($text)
        $back | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        Test-Same $back.ModelBytes $Local.ModelBytes | Should -BeTrue
        $back.History.Count | Should -Be 3
        (Test-Mlp -Network $back -Dataset $Digits).Accuracy | Should -Be (Test-Mlp -Network $Local -Dataset $Digits).Accuracy
        Test-Same (Get-Probabilities $back) (Get-Probabilities $Local) | Should -BeTrue
    }

    It 'returns a network trained remotely with its model: network parameters take it and a cast makes it live, identical' {
        $report, $back = Invoke-Command -Session $Sessions[1] {
            $digits = Import-Dataset -Name Digits
            $net = $digits | New-Mlp -HiddenSize 12 -Seed 3 | Invoke-Training -Epochs 3 -Seed 3
            [pscustomobject]@{
                Accuracy      = (Test-Mlp -Network $net -Dataset $digits).Accuracy
                Probabilities = [double[]]@((Invoke-MlpPrediction -Network $net -Dataset $digits).Probabilities | ForEach-Object { $_ })
                Bytes         = $net.ModelBytes
            }
            $net
        }
        $back.PSObject.TypeNames[0] | Should -BeLike 'Deserialized.MlpTools.Core.Model.Mlp*'
        (Test-Mlp -Network $back -Dataset $Digits).Accuracy | Should -Be $report.Accuracy
        Test-Same (Get-Probabilities $back) ([double[]]$report.Probabilities) | Should -BeTrue
        $live = [MlpTools.Core.Model.Mlp]$back
        $live | Should -BeOfType ([MlpTools.Core.Model.Mlp])
        Test-Same $live.ModelBytes $report.Bytes | Should -BeTrue
        $live.History.Count | Should -Be 3
    }

    It 'refuses a network given in -ArgumentList, which the SSH client sends without its bytes, saying to send PSSerializer text' {
        $said = Invoke-Command -Session $Sessions[0] -ArgumentList $Local {
            param($Network)
            $refusal = try { $null = Test-Mlp -Network $Network -Dataset (Import-Dataset -Name Digits); 'none' } catch { $_.FullyQualifiedErrorId }
            [pscustomobject]@{ Live = $Network -is [MlpTools.Core.Model.Mlp]; Why = $Network.DeserializationError; Refusal = $refusal }
        }
        $said.Live | Should -BeFalse -Because 'PowerShell''s SSH client applies no module''s type data; if it does now, about_MlpTools should say so'
        $said.Why | Should -BeLike '*no ModelBytes*PSSerializer]::Serialize($net)*'
        $said.Refusal | Should -Be 'NetworkSerializedWithoutModel,MlpTools.Commands.TestMlpCommand'
    }

    It 'runs Invoke-Command -HostName without a session: MlpTools imports by name there and a network trained there comes back' {
        $connection = Get-TestSshConnection
        $report, $back = Invoke-Command @connection -ScriptBlock {
            Import-Module MlpTools -ErrorAction Stop
            $digits = Import-Dataset -Name Digits
            $net = $digits | New-Mlp -HiddenSize 8 -Seed 4 | Invoke-Training -Epochs 2 -Seed 4
            [pscustomobject]@{ Version = "$((Get-Module MlpTools).Version)"; Accuracy = (Test-Mlp -Network $net -Dataset $digits).Accuracy }
            $net
        }
        $report.Version | Should -Be "$((Get-Module MlpTools).Version)"
        (Test-Mlp -Network $back -Dataset $Digits).Accuracy | Should -Be $report.Accuracy
    }
}
